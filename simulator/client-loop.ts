/**
 * One client loop: plan a request, send it with retries, record it, repeat
 * without pause until the stop signal aborts.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { planNextRequest } from "./request-plan.ts";
import type { SeededRandom } from "./seeded-random.ts";
import { sendRequestWithRetries } from "./send-request.ts";
import type { AttemptRecord, RequestRecord } from "./traffic-records.ts";
import { createUserPool } from "./user-pool.ts";

/** Settings of one client loop. */
export interface ClientLoopOptions {
  clientIndex: number;
  serverUrls: readonly string[];
  /** The loop's own random stream; it drives every choice of this loop. */
  random: SeededRandom;
  clientDefects: boolean;
  stopSignal: AbortSignal;
  onAttempt?: (attempt: AttemptRecord, sessionId: string) => void;
  onRequest: (request: RequestRecord) => void;
}

/**
 * Runs the loop until `stopSignal` aborts. A request cut short by the stop
 * is still passed to `onRequest`, with outcome `cancelled` when it never
 * got a final response.
 */
export async function runClientLoop(options: ClientLoopOptions): Promise<void> {
  const pool = createUserPool();
  while (!options.stopSignal.aborted) {
    const plan = planNextRequest(pool, options.random);
    const request = await sendRequestWithRetries(plan, options);
    options.onRequest(request);
    // Some fetch failures (such as a blocked port) reject without any I/O.
    // Without this yield, such a loop would starve timers and signals.
    await yieldToEventLoop();
  }
}
