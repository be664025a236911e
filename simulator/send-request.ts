/**
 * One logical request of the client: up to three attempts under one 5 s
 * deadline, each to a randomly chosen server, retrying only after 429.
 */
import { sleepUnlessAborted } from "./abortable-sleep.ts";
import type { RequestPlan } from "./request-plan.ts";
import {
  decideAfterRateLimit,
  MAX_ATTEMPTS_PER_REQUEST,
  REQUEST_DEADLINE_MS,
} from "./retry-policy.ts";
import type { SeededRandom } from "./seeded-random.ts";
import { sendAttempt } from "./send-attempt.ts";
import type {
  AttemptRecord,
  RequestOutcome,
  RequestRecord,
} from "./traffic-records.ts";

/** Settings shared by all requests of one client loop. */
export interface SendRequestOptions {
  clientIndex: number;
  serverUrls: readonly string[];
  random: SeededRandom;
  clientDefects: boolean;
  stopSignal: AbortSignal;
  /** Deadline of one request in ms; the client uses 5 s. */
  requestDeadlineMs?: number;
  /** Called after every attempt, for the live progress line. */
  onAttempt?: (attempt: AttemptRecord, sessionId: string) => void;
}

const bodyEncoder = new TextEncoder();

/** Sends a planned request with the client's retry rules. */
export async function sendRequestWithRetries(
  plan: RequestPlan,
  options: SendRequestOptions,
): Promise<RequestRecord> {
  const deadlineMs =
    Date.now() + (options.requestDeadlineMs ?? REQUEST_DEADLINE_MS);
  // A byte body makes fetch send no Content-Type, like the client.
  const body = bodyEncoder.encode(plan.bodyText);
  const attempts: AttemptRecord[] = [];
  const finish = (outcome: RequestOutcome): RequestRecord => ({
    clientIndex: options.clientIndex,
    sessionId: plan.user.sessionId,
    score: plan.user.score,
    foreign: plan.fingerprint.foreign,
    attempts,
    outcome,
  });

  for (
    let attemptIndex = 0;
    attemptIndex < MAX_ATTEMPTS_PER_REQUEST;
    attemptIndex += 1
  ) {
    const serverUrl = options.random.pickOne(options.serverUrls);
    const attempt = await sendAttempt({
      attemptIndex,
      serverUrl,
      sessionId: plan.user.sessionId,
      ipAddress: plan.fingerprint.ipAddress,
      userAgent: plan.fingerprint.userAgent,
      body,
      timeoutMs: deadlineMs - Date.now(),
      stopSignal: options.stopSignal,
    });
    attempts.push(attempt);
    options.onAttempt?.(attempt, plan.user.sessionId);

    if (attempt.kind !== "rate_limited") {
      return finish(attempt.kind);
    }

    const decision = decideAfterRateLimit(
      {
        attemptIndex,
        retryAfterSeconds: attempt.retryAfterSeconds,
        nowMs: Date.now(),
        deadlineMs,
        clientDefects: options.clientDefects,
        maxAttempts: MAX_ATTEMPTS_PER_REQUEST,
      },
      options.random,
    );
    if (decision.action === "give_up") {
      return finish("gave_up");
    }

    const sleptFully = await sleepUnlessAborted(
      decision.waitMs,
      options.stopSignal,
    );
    if (decision.action === "exhausted") {
      return finish("exhausted");
    }
    if (!sleptFully) {
      return finish("cancelled");
    }
  }

  // The loop returns on every path, but the compiler cannot see that.
  return finish("exhausted");
}
