/**
 * Attempt and request records, the simulator's observations. They are the
 * only input of the report.
 */

/**
 * Classification of one attempt:
 * - `admitted`: 2xx response.
 * - `rate_limited`: 429 response.
 * - `blocked`: 403 response (anomaly blocking).
 * - `rejected`: any other 4xx response, such as 400, 405 or 413.
 * - `server_error`: 5xx response.
 * - `network_error`: no response (connection refused, reset, bad body).
 * - `deadline_exceeded`: the 5 s request deadline ran out before or during
 *   the attempt. With `--client-defects` this includes attempts that never
 *   went out because the client slept past the deadline.
 * - `cancelled`: the simulator was stopping while the attempt was running.
 */
export type AttemptKind =
  | "admitted"
  | "rate_limited"
  | "blocked"
  | "rejected"
  | "server_error"
  | "network_error"
  | "deadline_exceeded"
  | "cancelled";

/** One HTTP attempt as the simulator saw it. */
export interface AttemptRecord {
  /** Zero-based attempt number within its request. */
  attemptIndex: number;
  serverUrl: string;
  kind: AttemptKind;
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** `reason` field of the JSON body, when present. */
  reason: string | null;
  /** `admittedAt` (epoch ms, coordinator clock) from a 200 body. */
  admittedAtMs: number | null;
  /** Local epoch ms when the response or error arrived. */
  receivedAtMs: number;
  /** Parsed `Retry-After` header in seconds, or null when absent/invalid. */
  retryAfterSeconds: number | null;
  /** True when the response had `x-anomaly-verdict: would_block`. */
  wouldBlock: boolean;
  /** Error text for network errors and timeouts. */
  errorMessage: string | null;
}

/**
 * End state of a request. Most outcomes repeat the kind of the last attempt.
 * `exhausted` means all attempts got 429, and `gave_up` means the simulator
 * stopped retrying because the wait would pass the request deadline.
 */
export type RequestOutcome = AttemptKind | "exhausted" | "gave_up";

/** One logical request of the client, with its attempts and ground truth. */
export interface RequestRecord {
  clientIndex: number;
  sessionId: string;
  /** Bad-actor score of the user (ground truth, never sent). */
  score: number;
  /** Ground truth: the fingerprint differs from the user's stored one. */
  foreign: boolean;
  attempts: AttemptRecord[];
  outcome: RequestOutcome;
}
