import {
  explainMismatch,
  isSameIdentity,
  matchFingerprint,
  type Fingerprint,
  type FingerprintMatch,
} from "./fingerprint";
import {
  pruneRisk,
  recordRisk,
  shouldQuarantine,
  sumRisk,
  type QuarantinePolicy,
  type RiskBucket,
} from "./session-risk";

export interface AnomalyPolicy extends QuarantinePolicy {
  /** Sightings that make a fingerprint the session's owner. @default 2 */
  ownerConfirmations: number;
  /** Unconfirmed fingerprints remembered before an owner exists. @default 3 */
  maxCandidates: number;
}

/** A fingerprint seen before the session had an owner. */
export interface OwnerCandidate {
  fingerprint: Fingerprint;
  sightings: number;
}

/** Everything the guard remembers about a session's identity. */
export interface AnomalyState {
  owner?: Fingerprint;
  candidates: OwnerCandidate[];
  risk: RiskBucket[];
  quarantinedUntilMs?: number;
  lastSeenMs: number;
}

export type AllowedMatch = Exclude<FingerprintMatch, "foreign"> | "unconfirmed";

export type AnomalyVerdict =
  | { blocked: false; match: AllowedMatch }
  | {
      blocked: true;
      reason: "fingerprint_mismatch" | "session_quarantined";
      explanation: string;
      /** Set when the session is quarantined, by this request or earlier. */
      quarantinedUntilMs?: number;
    };

export interface Assessment {
  state: AnomalyState;
  verdict: AnomalyVerdict;
}

export function emptyAnomalyState(nowMs: number): AnomalyState {
  return { candidates: [], risk: [], lastSeenMs: nowMs };
}

function quarantineVerdict(untilMs: number, nowMs: number): AnomalyVerdict {
  const seconds = Math.ceil((untilMs - nowMs) / 1000);
  return {
    blocked: true,
    reason: "session_quarantined",
    quarantinedUntilMs: untilMs,
    explanation: `this session is quarantined after repeated requests from foreign clients; it is released in ${seconds} s`,
  };
}

/** Records checked and foreign requests, and starts a quarantine when the policy requires one. */
function addForeign(
  state: AnomalyState,
  nowMs: number,
  policy: AnomalyPolicy,
  checked: number,
  foreign: number,
): void {
  state.risk = recordRisk(state.risk, nowMs, policy.riskPeriodMs, {
    checked,
    foreign,
  });
  if (foreign === 0) return;
  const totals = sumRisk(state.risk, nowMs, policy.riskPeriodMs);
  if (shouldQuarantine(totals, policy)) {
    state.quarantinedUntilMs = nowMs + policy.quarantineMs;
  }
}

/**
 * Handles a request of a session whose owner is not confirmed yet. The first
 * fingerprint seen is the provisional owner and other fingerprints are
 * blocked. A blocked fingerprint that recurs before the provisional one does
 * takes over, because then the very first request was the one-off foreign
 * one: the real owner loses one request, not the session.
 */
function assessWithoutOwner(
  state: AnomalyState,
  seen: Fingerprint,
  nowMs: number,
  policy: AnomalyPolicy,
): AnomalyVerdict {
  const provisional = state.candidates[0];
  if (!provisional) {
    state.candidates.push({ fingerprint: seen, sightings: 1 });
    if (policy.ownerConfirmations <= 1)
      confirmOwner(state, state.candidates[0]!);
    addForeign(state, nowMs, policy, 1, 0);
    return { blocked: false, match: "unconfirmed" };
  }

  const candidate = state.candidates.find((entry) =>
    isSameIdentity(entry.fingerprint, seen),
  );
  if (candidate) candidate.sightings++;

  if (candidate && candidate.sightings >= policy.ownerConfirmations) {
    // Sightings of the candidates that lost were foreign requests.
    const others = state.candidates
      .filter((entry) => entry !== candidate)
      .reduce((sum, entry) => sum + entry.sightings, 0);
    const foreignBefore = candidate === provisional ? 0 : others;
    confirmOwner(state, candidate);
    addForeign(state, nowMs, policy, 1, foreignBefore);
    return { blocked: false, match: "unconfirmed" };
  }

  if (candidate === provisional) {
    addForeign(state, nowMs, policy, 1, 0);
    return { blocked: false, match: "unconfirmed" };
  }

  if (!candidate && state.candidates.length < policy.maxCandidates) {
    state.candidates.push({ fingerprint: seen, sightings: 1 });
  }
  addForeign(state, nowMs, policy, 1, 1);
  return {
    blocked: true,
    reason: "fingerprint_mismatch",
    explanation: `${explainMismatch(provisional.fingerprint, seen)} (the session's first client)`,
    quarantinedUntilMs: state.quarantinedUntilMs,
  };
}

function confirmOwner(state: AnomalyState, candidate: OwnerCandidate): void {
  state.owner = candidate.fingerprint;
  state.candidates = [];
}

/**
 * Judges one request of a session by its fingerprint and returns the new
 * state. Pure: the caller stores the state. A blocked request is counted in
 * the risk figures but consumes no rate-limit quota.
 */
export function assessRequest(
  previous: AnomalyState | undefined,
  seen: Fingerprint,
  nowMs: number,
  policy: AnomalyPolicy,
): Assessment {
  const state: AnomalyState = structuredClone(
    previous ?? emptyAnomalyState(nowMs),
  );
  state.lastSeenMs = nowMs;
  state.risk = pruneRisk(state.risk, nowMs, policy.riskPeriodMs);

  // Requests during a quarantine are not counted, so they cannot extend it.
  if (state.quarantinedUntilMs !== undefined) {
    if (state.quarantinedUntilMs > nowMs) {
      return {
        state,
        verdict: quarantineVerdict(state.quarantinedUntilMs, nowMs),
      };
    }
    state.quarantinedUntilMs = undefined;
    state.risk = [];
  }

  if (!state.owner) {
    return { state, verdict: assessWithoutOwner(state, seen, nowMs, policy) };
  }

  const match = matchFingerprint(state.owner, seen);
  if (match !== "foreign") {
    addForeign(state, nowMs, policy, 1, 0);
    return { state, verdict: { blocked: false, match } };
  }

  addForeign(state, nowMs, policy, 1, 1);
  const explanation = explainMismatch(state.owner, seen);
  return {
    state,
    verdict: {
      blocked: true,
      reason: "fingerprint_mismatch",
      explanation: state.quarantinedUntilMs
        ? `${explanation}; the session is now quarantined`
        : explanation,
      quarantinedUntilMs: state.quarantinedUntilMs,
    },
  };
}

/**
 * Returns the time after which the state can no longer affect a decision:
 * the end of any quarantine and of the risk period after the last request.
 */
export function anomalyStateExpiresAt(
  state: AnomalyState,
  policy: AnomalyPolicy,
): number {
  return Math.max(
    state.quarantinedUntilMs ?? 0,
    state.lastSeenMs + policy.riskPeriodMs,
  );
}
