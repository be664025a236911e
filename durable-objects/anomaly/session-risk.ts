/**
 * A session's recent risk: how many of its requests were checked and how many
 * of those were foreign, over the last risk period. Counts are kept in ten
 * buckets, so storage stays constant however chatty the session is and the
 * period is exact to within one bucket (a tenth of the period).
 */

export const RISK_BUCKET_COUNT = 10;

export interface RiskBucket {
  startMs: number;
  checked: number;
  foreign: number;
}

export interface RiskTotals {
  checked: number;
  foreign: number;
}

export interface QuarantinePolicy {
  /** How far back foreign requests count. @default 600 s */
  riskPeriodMs: number;
  /** How long a quarantine lasts. @default 900 s */
  quarantineMs: number;
  /** Foreign requests in the period before a quarantine can start. @default 5 */
  quarantineMinForeign: number;
  /** Share of checked requests that must be foreign, in percent. @default 20 */
  quarantineForeignPercent: number;
}

function bucketWidthMs(riskPeriodMs: number): number {
  return Math.max(1, Math.ceil(riskPeriodMs / RISK_BUCKET_COUNT));
}

/** Returns the buckets still inside the period ending at `nowMs`. */
export function pruneRisk(
  buckets: readonly RiskBucket[],
  nowMs: number,
  riskPeriodMs: number,
): RiskBucket[] {
  return buckets.filter(
    (bucket) =>
      bucket.startMs + bucketWidthMs(riskPeriodMs) > nowMs - riskPeriodMs,
  );
}

/** Adds counts to the bucket that contains `nowMs`. */
export function recordRisk(
  buckets: readonly RiskBucket[],
  nowMs: number,
  riskPeriodMs: number,
  counts: RiskTotals,
): RiskBucket[] {
  const widthMs = bucketWidthMs(riskPeriodMs);
  const startMs = nowMs - (nowMs % widthMs);
  const next = pruneRisk(buckets, nowMs, riskPeriodMs).map((bucket) => ({
    ...bucket,
  }));
  const current = next.find((bucket) => bucket.startMs === startMs);
  if (current) {
    current.checked += counts.checked;
    current.foreign += counts.foreign;
  } else {
    next.push({ startMs, checked: counts.checked, foreign: counts.foreign });
  }
  return next;
}

/** Sums the buckets inside the period ending at `nowMs`. */
export function sumRisk(
  buckets: readonly RiskBucket[],
  nowMs: number,
  riskPeriodMs: number,
): RiskTotals {
  let checked = 0;
  let foreign = 0;
  for (const bucket of pruneRisk(buckets, nowMs, riskPeriodMs)) {
    checked += bucket.checked;
    foreign += bucket.foreign;
  }
  return { checked, foreign };
}

/**
 * Tells whether recent risk warrants quarantine: enough foreign requests in
 * absolute terms and as a share of all checked requests. The share keeps a
 * busy owner with occasional foreign noise (a shared session id on a
 * corporate proxy, say) from being quarantined by volume alone.
 */
export function shouldQuarantine(
  totals: RiskTotals,
  policy: QuarantinePolicy,
): boolean {
  if (totals.foreign < policy.quarantineMinForeign) return false;
  return (
    totals.foreign * 100 >= policy.quarantineForeignPercent * totals.checked
  );
}
