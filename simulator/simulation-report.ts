/**
 * Shape of the final report, as printed with `--json`. Every figure comes
 * from the simulator's own observations and its ground truth.
 */

/** Limits that the report judges the admitted traffic against. */
export interface SimulationLimits {
  globalLimit: number;
  globalWindowSeconds: number;
  sessionLimit: number;
  sessionWindowSeconds: number;
}

/** Facts about the run itself. */
export interface SimulationRunInfo {
  startedAt: string;
  elapsedSeconds: number;
  stopReason: "duration" | "signal";
  seed: number;
  clients: number;
  serverUrls: string[];
  clientDefects: boolean;
  limits: SimulationLimits;
}

/** Attempt and request counters. */
export interface TrafficTotals {
  /** Attempts, the HTTP requests the simulator sent or tried to send. */
  attemptsSent: number;
  admitted: number;
  rateLimited: number;
  blocked: number;
  /** Other 4xx responses, such as 400, 405 or 413. */
  rejected: number;
  /** serverErrors + networkErrors + deadlineExceeded. */
  errors: number;
  serverErrors: number;
  networkErrors: number;
  deadlineExceeded: number;
  /** Attempts cut short because the simulator was stopping. */
  cancelled: number;
  /** Responses with `x-anomaly-verdict: would_block` (monitor mode). */
  wouldBlock: number;
  /** Logical requests, each with 1 to 3 attempts. */
  requests: number;
  /** Requests abandoned because the retry wait would pass the deadline. */
  gaveUp: number;
  /** Requests whose three attempts all got 429. */
  exhausted: number;
}

/** Attempts and admissions per server URL. */
export interface ServerReport {
  serverUrl: string;
  attemptsSent: number;
  admitted: number;
}

/** Maximum admissions seen in any rolling window, against a limit. */
export interface WindowCheck {
  limit: number;
  windowSeconds: number;
  maxAdmitted: number;
  withinLimit: boolean;
  /** Epoch ms of the first admission in the busiest window. */
  windowStartMs: number | null;
}

/** Rolling-window results, globally and for the worst session. */
export interface RollingWindowReport {
  global: WindowCheck;
  session: WindowCheck & { sessionId: string | null };
  /** Admissions whose 200 body had no `admittedAt`, timed on arrival. */
  admittedWithoutServerTime: number;
}

/** Share of requests with a final 403 response, within one group. */
export interface BlockRate {
  /** Requests of the group, leaving out those cut short by the stop. */
  requests: number;
  /** Requests whose final response was 403. */
  blocked: number;
  /** Requests whose final response was 2xx. */
  admitted: number;
  /** blocked / requests, or null without requests. */
  rate: number | null;
  /** blocked / (blocked + admitted): leaves out 429s and errors. */
  rateAmongDecided: number | null;
}

/** Detection figures computed from the ground truth. */
export interface DetectionReport {
  /** Foreign requests; `rate` is the recall. */
  foreign: BlockRate;
  /** Requests with the owner's fingerprint; `rate` is the false-block rate. */
  owner: BlockRate;
  /** Owner requests of sessions with score < lowScoreBelow. */
  lowScoreOwner: BlockRate;
  lowScoreBelow: number;
  quarantine: QuarantineReport;
  /** Requests flagged `would_block` in monitor mode. */
  monitor: { foreignFlagged: number; ownerFlagged: number };
}

/**
 * For sessions with score >= minScore: requests from the first foreign
 * request up to and including the first `session_quarantined` 403.
 */
export interface QuarantineReport {
  minScore: number;
  sessionsWithForeign: number;
  sessionsQuarantined: number;
  medianRequestsToQuarantine: number | null;
  maxRequestsToQuarantine: number | null;
}

/** One row per session id. */
export interface SessionReport {
  sessionId: string;
  clientIndex: number;
  score: number;
  requests: number;
  /** Attempts sent for this session. */
  sent: number;
  admitted: number;
  rateLimited: number;
  blocked: number;
  foreignRequests: number;
  foreignBlocked: number;
  maxAdmittedInWindow: number;
}

/** Pass or fail, with one sentence per exceeded limit. */
export interface ReportVerdict {
  passed: boolean;
  violations: string[];
}

/** The complete report. */
export interface SimulationReport {
  run: SimulationRunInfo;
  totals: TrafficTotals;
  /** Counts keyed by "status reason", such as "429 session_limit". */
  reasons: Record<string, number>;
  /** Network and timeout errors, keyed "kind: message". */
  errorMessages: Record<string, number>;
  servers: ServerReport[];
  rollingWindow: RollingWindowReport;
  detection: DetectionReport;
  sessions: SessionReport[];
  verdict: ReportVerdict;
}
