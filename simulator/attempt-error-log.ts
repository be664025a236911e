/**
 * JSON-lines log of failed attempts on stderr. Each distinct error text is
 * logged once, because a refused connection can repeat thousands of times
 * a second; the report counts all of them.
 */
import type { AttemptRecord } from "./traffic-records.ts";

/** Distinct error texts logged before the log goes silent. */
export const MAX_LOGGED_ERROR_TEXTS = 20;

/** Output stream of the log. */
export interface LogStream {
  write(text: string): unknown;
}

/** Returns a function that logs an attempt when it carries a new error. */
export function createAttemptErrorLogger(
  stream: LogStream,
): (attempt: AttemptRecord, sessionId: string) => void {
  const seenTexts = new Set<string>();
  return (attempt, sessionId) => {
    if (attempt.errorMessage === null || attempt.kind === "cancelled") {
      return;
    }
    const text = `${attempt.kind}: ${attempt.errorMessage}`;
    if (seenTexts.has(text) || seenTexts.size >= MAX_LOGGED_ERROR_TEXTS) {
      return;
    }
    seenTexts.add(text);
    const entry = {
      time: new Date(attempt.receivedAtMs).toISOString(),
      level: "warn",
      event: "attempt_failed",
      kind: attempt.kind,
      serverUrl: attempt.serverUrl,
      sessionId,
      error: attempt.errorMessage,
      note: "first occurrence; the report counts repeats",
    };
    stream.write(`${JSON.stringify(entry)}\n`);
  };
}
