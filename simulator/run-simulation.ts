/**
 * Runs the configured number of client loops until the duration ends or
 * the caller aborts, then builds the report.
 */
import { runClientLoop } from "./client-loop.ts";
import {
  createReportAccumulator,
  recordRequest,
} from "./report-accumulator.ts";
import { buildSimulationReport } from "./report-builder.ts";
import { createSeededRandom, drawRandomSeed } from "./seeded-random.ts";
import type { SimulationReport } from "./simulation-report.ts";
import type { SimulatorOptions } from "./simulator-options.ts";
import type { AttemptRecord } from "./traffic-records.ts";

/** Abort reason used when the configured duration ends. */
export const DURATION_STOP_REASON = "duration";

/** Callbacks for live output while the simulation runs. */
export interface SimulationHooks {
  /** Called once before the loops start, with the seed in use. */
  onStart?: (seed: number) => void;
  onAttempt?: (attempt: AttemptRecord, sessionId: string) => void;
}

/**
 * Runs the simulation. It stops when `stopController` aborts (any reason
 * other than "duration" is reported as a signal) or when the duration
 * ends, and resolves after every loop has finished its current request.
 */
export async function runSimulation(
  options: SimulatorOptions,
  stopController: AbortController,
  hooks: SimulationHooks = {},
): Promise<SimulationReport> {
  const seed = options.seed ?? drawRandomSeed();
  const startedAtMs = Date.now();
  const accumulator = createReportAccumulator();
  hooks.onStart?.(seed);

  let durationTimer: NodeJS.Timeout | undefined;
  if (options.durationSeconds !== null) {
    durationTimer = setTimeout(
      () => stopController.abort(DURATION_STOP_REASON),
      options.durationSeconds * 1000,
    );
  }

  const loops: Promise<void>[] = [];
  for (let clientIndex = 0; clientIndex < options.clients; clientIndex += 1) {
    loops.push(
      runClientLoop({
        clientIndex,
        serverUrls: options.serverUrls,
        random: createSeededRandom(seed, clientIndex),
        clientDefects: options.clientDefects,
        stopSignal: stopController.signal,
        onAttempt: hooks.onAttempt,
        onRequest: (request) => recordRequest(accumulator, request),
      }),
    );
  }

  try {
    await Promise.all(loops);
  } finally {
    clearTimeout(durationTimer);
  }

  const stopReason =
    stopController.signal.reason === DURATION_STOP_REASON
      ? "duration"
      : "signal";
  return buildSimulationReport(accumulator, {
    startedAt: new Date(startedAtMs).toISOString(),
    elapsedSeconds: (Date.now() - startedAtMs) / 1000,
    stopReason,
    seed,
    clients: options.clients,
    serverUrls: options.serverUrls,
    clientDefects: options.clientDefects,
    limits: {
      globalLimit: options.globalLimit,
      globalWindowSeconds: options.globalWindowSeconds,
      sessionLimit: options.sessionLimit,
      sessionWindowSeconds: options.sessionWindowSeconds,
    },
  });
}
