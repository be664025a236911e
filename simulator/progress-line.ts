/**
 * Live progress on stderr: rewritten in place once a second on a terminal,
 * or printed as a plain line every 10 s when stderr is a file or pipe.
 */
import type { AttemptRecord } from "./traffic-records.ts";

const TTY_INTERVAL_MS = 1_000;
const PLAIN_INTERVAL_MS = 10_000;
const CLEAR_TO_LINE_END = "\x1b[K";

/** Attempt counters shown on the progress line. */
export interface ProgressCounters {
  sent: number;
  admitted: number;
  rateLimited: number;
  blocked: number;
  errors: number;
}

/** Output stream of the progress line. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** Creates zeroed counters. */
export function createProgressCounters(): ProgressCounters {
  return { sent: 0, admitted: 0, rateLimited: 0, blocked: 0, errors: 0 };
}

/** Counts one finished attempt. */
export function countAttemptForProgress(
  counters: ProgressCounters,
  attempt: AttemptRecord,
): void {
  counters.sent += 1;
  if (attempt.kind === "admitted") {
    counters.admitted += 1;
  } else if (attempt.kind === "rate_limited") {
    counters.rateLimited += 1;
  } else if (attempt.kind === "blocked") {
    counters.blocked += 1;
  } else if (
    attempt.kind === "server_error" ||
    attempt.kind === "network_error" ||
    attempt.kind === "deadline_exceeded"
  ) {
    counters.errors += 1;
  }
}

/** Formats one progress line without a line ending. */
export function formatProgressLine(
  elapsedMs: number,
  counters: ProgressCounters,
): string {
  return (
    `elapsed ${Math.floor(elapsedMs / 1000)} s  sent ${counters.sent}  ` +
    `200 ${counters.admitted}  429 ${counters.rateLimited}  ` +
    `403 ${counters.blocked}  errors ${counters.errors}`
  );
}

/**
 * Starts printing progress and returns a function that stops it. On a
 * terminal the stop function ends the rewritten line with a newline.
 */
export function startProgressLine(
  stream: ProgressStream,
  counters: ProgressCounters,
  startedAtMs: number,
): () => void {
  const isTerminal = stream.isTTY === true;
  const render = (): void => {
    const line = formatProgressLine(Date.now() - startedAtMs, counters);
    stream.write(isTerminal ? `\r${line}${CLEAR_TO_LINE_END}` : `${line}\n`);
  };
  const timer = setInterval(
    render,
    isTerminal ? TTY_INTERVAL_MS : PLAIN_INTERVAL_MS,
  );
  timer.unref();

  return () => {
    clearInterval(timer);
    if (isTerminal) {
      render();
      stream.write("\n");
    }
  };
}
