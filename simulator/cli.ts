/**
 * Command-line entry of the traffic simulator:
 * `npx tsx simulator/cli.ts --servers URL[,URL...] [options]`.
 *
 * Exit status: 0 when admissions stayed within both limits, 1 when a
 * rolling window exceeded one, 2 for invalid flags, 3 for an internal error.
 *
 * NOTE: npx (npm 11.19) exits on a SIGTERM sent to its own process id and
 * leaves the simulator running. Scripts and containers should start
 * `node_modules/.bin/tsx simulator/cli.ts`, or signal the process group.
 */
import { createAttemptErrorLogger } from "./attempt-error-log.ts";
import {
  countAttemptForProgress,
  createProgressCounters,
  startProgressLine,
} from "./progress-line.ts";
import { formatReportText } from "./report-text.ts";
import { runSimulation } from "./run-simulation.ts";
import {
  OptionsError,
  parseSimulatorCommand,
  USAGE_TEXT,
} from "./simulator-options.ts";

const EXIT_LIMIT_EXCEEDED = 1;
const EXIT_INVALID_OPTIONS = 2;
const EXIT_INTERNAL_ERROR = 3;
const EXIT_SECOND_SIGNAL = 130;

function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

// On a terminal, a log line first clears the progress line it would
// otherwise be appended to; the next progress update redraws below it.
const logStream = {
  write(text: string): boolean {
    const prefix = process.stderr.isTTY ? "\r\x1b[K" : "";
    return process.stderr.write(prefix + text);
  },
};

function writeLogLine(fields: Record<string, unknown>): void {
  const entry = { time: new Date().toISOString(), ...fields };
  logStream.write(`${JSON.stringify(entry)}\n`);
}

async function runCli(): Promise<number> {
  let command;
  try {
    command = parseSimulatorCommand(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof OptionsError) {
      process.stderr.write(`simulator: ${error.message}\n`);
      return EXIT_INVALID_OPTIONS;
    }
    throw error;
  }
  if (command.kind === "help") {
    await writeOut(USAGE_TEXT);
    return 0;
  }
  const { options } = command;

  // The first signal stops the loops and still prints the report; a second
  // one exits at once.
  const stopController = new AbortController();
  const onSignal = (signalName: NodeJS.Signals): void => {
    if (stopController.signal.aborted) {
      process.stderr.write(`simulator: second ${signalName}, exiting now\n`);
      process.exit(EXIT_SECOND_SIGNAL);
    }
    stopController.abort(signalName);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const counters = createProgressCounters();
  const logAttemptError = createAttemptErrorLogger(logStream);
  const stopProgress = options.quiet
    ? () => {}
    : startProgressLine(process.stderr, counters, Date.now());

  const report = await runSimulation(options, stopController, {
    onStart: (seed) =>
      writeLogLine({
        level: "info",
        event: "simulator_started",
        seed,
        clients: options.clients,
        serverUrls: options.serverUrls,
        durationSeconds: options.durationSeconds,
        clientDefects: options.clientDefects,
      }),
    onAttempt: (attempt, sessionId) => {
      countAttemptForProgress(counters, attempt);
      logAttemptError(attempt, sessionId);
    },
  });
  stopProgress();
  writeLogLine({
    level: "info",
    event: "simulator_stopped",
    stopReason: report.run.stopReason,
    elapsedSeconds: report.run.elapsedSeconds,
    attemptsSent: report.totals.attemptsSent,
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);

  await writeOut(
    options.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : formatReportText(report),
  );

  if (!report.verdict.passed) {
    for (const violation of report.verdict.violations) {
      process.stderr.write(`simulator: ${violation}\n`);
    }
    return EXIT_LIMIT_EXCEEDED;
  }
  return 0;
}

runCli().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    const text =
      error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`simulator: internal error: ${text}\n`);
    process.exitCode = EXIT_INTERNAL_ERROR;
  },
);
