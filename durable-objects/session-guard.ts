import { DurableObject } from "cloudflare:workers";
import { configFromEnv, type LimiterConfig } from "../worker/config";
import { logEvent } from "../worker/log";
import { toFingerprint } from "./anomaly/fingerprint";
import {
  anomalyStateExpiresAt,
  assessRequest,
  type AnomalyPolicy,
  type AnomalyState,
} from "./anomaly/session-anomaly";
import type { GlobalLimiter } from "./global-limiter";
import type {
  BlockDecision,
  Decision,
  DecisionRequest,
  MonitorNote,
  SessionInspection,
} from "./protocol";
import { sumRisk } from "./anomaly/session-risk";
import {
  checkWindow,
  insertEntry,
  pruneLog,
  removeEntry,
  toRetryAfterSeconds,
  type WindowPolicy,
} from "./sliding-window";

const LOG_KEY = "admissions";
const ANOMALY_KEY = "anomaly";

export interface SessionGuardEnv {
  GLOBAL_LIMITER: DurableObjectNamespace<GlobalLimiter>;
}

/** Name of the one GlobalLimiter instance. */
export const GLOBAL_LIMITER_NAME = "global";

/** How long a cancellation that arrived before its request is remembered. */
const CANCELLED_MEMORY_MS = 60_000;
/** Most cancellations remembered per session; older ones are dropped. */
const MAX_CANCELLED = 256;

/** Result of `decide` for a request the edge has already given up on. */
export interface CancelledDecision {
  admitted: false;
  reason: "cancelled";
}

/** The client-facing explanation of a fingerprint mismatch. */
const OWNER_MISMATCH_MESSAGE =
  "this session id is bound to another client: the request's address or User-Agent does not match the session's owner";

const CANCELLED: CancelledDecision = { admitted: false, reason: "cancelled" };

interface RecentAdmission {
  sessionAtMs: number;
  globalAtMs: number;
}

function toAnomalyPolicy(config: LimiterConfig): AnomalyPolicy {
  return {
    riskPeriodMs: config.riskPeriodSeconds * 1000,
    quarantineMs: config.quarantineSeconds * 1000,
    quarantineMinForeign: config.quarantineMinForeign,
    quarantineForeignPercent: config.quarantineForeignPercent,
    ownerConfirmations: config.ownerConfirmations,
    maxCandidates: config.maxOwnerCandidates,
  };
}

/**
 * One instance per session id. It serializes that session's decisions: the
 * fingerprint check, the session's sliding log, then the global slot from
 * the GlobalLimiter.
 *
 * State lives in SQLite-backed storage rather than only in memory, because the
 * runtime may evict or restart the object at any time and a restart must not
 * hand a session a fresh window or forget its owner. An alarm deletes the
 * state once it can no longer affect a decision, so storage stays bounded
 * however many session ids appear.
 */
export class SessionGuard extends DurableObject<SessionGuardEnv> {
  #log: number[];
  #anomaly: AnomalyState | undefined;
  /** Whether storage contains anything for this session. */
  #stored: boolean;
  /**
   * Admissions still inside the session window, by request id, so that a
   * cancellation can give them back. Kept in memory only: after a restart a
   * late cancellation finds nothing and the slot stays used until it expires.
   */
  #recent = new Map<string, RecentAdmission>();
  /** Cancellations that arrived before or during their request, by id. */
  #cancelled = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: SessionGuardEnv) {
    super(ctx, env);
    this.#log = ctx.storage.kv.get<number[]>(LOG_KEY) ?? [];
    this.#anomaly = ctx.storage.kv.get<AnomalyState>(ANOMALY_KEY);
    this.#stored = this.#log.length > 0 || this.#anomaly !== undefined;
  }

  #config(): LimiterConfig {
    return configFromEnv(this.env);
  }

  #globalLimiter(): DurableObjectStub<GlobalLimiter> {
    return this.env.GLOBAL_LIMITER.getByName(GLOBAL_LIMITER_NAME);
  }

  /**
   * Runs the fingerprint check and stores its outcome. Returns the block
   * decision to send, or a note for monitor mode, or nothing.
   */
  #checkFingerprint(
    request: DecisionRequest,
    nowMs: number,
    config: LimiterConfig,
  ): { block?: BlockDecision; note?: MonitorNote } {
    const fingerprint = toFingerprint(request.ipAddress, request.userAgent, {
      ipv4: config.ipv4NetworkPrefix,
      ipv6: config.ipv6NetworkPrefix,
    });
    const { state, verdict } = assessRequest(
      this.#anomaly,
      fingerprint,
      nowMs,
      toAnomalyPolicy(config),
    );
    this.#anomaly = state;
    if (!verdict.blocked) return {};

    const enforced = config.anomalyMode === "enforce";
    // The client learns that its fingerprint does not match, not what the
    // owner's is: naming the owner's network or browser would tell someone
    // holding a stolen session id what to imitate. The log has the details.
    const clientMessage =
      verdict.reason === "session_quarantined"
        ? verdict.explanation
        : OWNER_MISMATCH_MESSAGE;
    logEvent(enforced ? "blocked" : "would_block", {
      requestId: request.requestId,
      sessionId: request.sessionId,
      reason: verdict.reason,
      ipAddress: request.ipAddress,
      explanation: verdict.explanation,
      quarantinedUntil: verdict.quarantinedUntilMs,
    });
    if (!enforced) {
      return {
        note: {
          verdict: "would_block",
          reason: verdict.reason,
          message: clientMessage,
        },
      };
    }

    const block: BlockDecision = {
      admitted: false,
      reason: verdict.reason,
      message: clientMessage,
    };
    if (verdict.quarantinedUntilMs !== undefined) {
      block.quarantinedUntil = verdict.quarantinedUntilMs;
      block.retryAfterSeconds = toRetryAfterSeconds(
        verdict.quarantinedUntilMs - nowMs,
      );
    }
    return { block };
  }

  /** Decides one `/send` request of this session. */
  async decide(
    request: DecisionRequest,
  ): Promise<Decision | CancelledDecision> {
    const nowMs = Date.now();
    const config = this.#config();
    const policy: WindowPolicy = {
      limit: config.sessionLimit,
      windowMs: config.sessionWindowSeconds * 1000,
    };

    if (this.#cancelled.delete(request.requestId)) return CANCELLED;

    // The anomaly check runs first, so a blocked request consumes no quota.
    const { block, note } = this.#checkFingerprint(request, nowMs, config);
    if (block) {
      await this.#save(config, true);
      return block;
    }

    const log = pruneLog(this.#log, nowMs, policy.windowMs);
    this.#log = log;
    const sessionCheck = checkWindow(log, nowMs, policy);

    if (!sessionCheck.allowed) {
      // The request would also need a global slot, so the honest wait is the
      // later of the two. Peeking records nothing in the global window.
      const global = await this.#globalLimiter().peek();
      const waitMs = Math.max(sessionCheck.retryAfterMs, global.retryAfterMs);
      await this.#save(config, note !== undefined);
      return {
        admitted: false,
        reason: "session_limit",
        retryAfterSeconds: toRetryAfterSeconds(waitMs),
        limits: { session: sessionCheck.status, global: global.status },
        anomaly: note,
      };
    }

    // Reserve the slot before awaiting the global limiter: the runtime
    // delivers this session's other requests while we wait, and each of them
    // must see this one as counted or two could pass the same last slot.
    this.#log = insertEntry(log, nowMs);
    let global;
    try {
      global = await this.#globalLimiter().acquire();
    } catch (error) {
      this.#log = removeEntry(this.#log, nowMs);
      throw error;
    }

    if (!global.allowed) {
      this.#log = removeEntry(this.#log, nowMs);
      await this.#save(config, note !== undefined);
      return {
        admitted: false,
        reason: "global_limit",
        retryAfterSeconds: toRetryAfterSeconds(global.retryAfterMs),
        limits: {
          session: checkWindow(this.#log, nowMs, policy).status,
          global: global.status,
        },
        anomaly: note,
      };
    }

    // The edge may have given up while the global limiter was deciding.
    if (this.#cancelled.delete(request.requestId)) {
      this.#log = removeEntry(this.#log, nowMs);
      await this.#globalLimiter().release(global.atMs);
      return CANCELLED;
    }

    this.#rememberAdmission(request.requestId, nowMs, global.atMs, policy);
    await this.#save(config, true);
    return {
      admitted: true,
      admittedAt: global.atMs,
      limits: {
        session: checkWindow(this.#log, Date.now(), policy).status,
        global: global.status,
      },
      anomaly: note,
    };
  }

  #rememberAdmission(
    requestId: string,
    sessionAtMs: number,
    globalAtMs: number,
    policy: WindowPolicy,
  ): void {
    for (const [id, admission] of this.#recent) {
      if (admission.sessionAtMs <= sessionAtMs - policy.windowMs) {
        this.#recent.delete(id);
      }
    }
    this.#recent.set(requestId, { sessionAtMs, globalAtMs });
  }

  /**
   * Gives back the admission of a request that the edge rejected with 503 after
   * its timeout, so a failed request consumes no quota. A cancellation that
   * arrives before its request is remembered for a minute and the request
   * is then refused. Returns whether an admission was given back.
   */
  async cancel(requestId: string): Promise<boolean> {
    const admission = this.#recent.get(requestId);
    if (admission) {
      this.#recent.delete(requestId);
      this.#log = removeEntry(this.#log, admission.sessionAtMs);
      await this.#globalLimiter().release(admission.globalAtMs);
      await this.#save(this.#config(), false);
      logEvent("admission_cancelled", { requestId });
      return true;
    }

    const nowMs = Date.now();
    for (const [id, cancelledAtMs] of this.#cancelled) {
      const expired = cancelledAtMs <= nowMs - CANCELLED_MEMORY_MS;
      if (expired || this.#cancelled.size >= MAX_CANCELLED) {
        this.#cancelled.delete(id);
      }
    }
    this.#cancelled.set(requestId, nowMs);
    return false;
  }

  /** Reports what this object stores, without changing anything. */
  async inspect(sessionId: string): Promise<SessionInspection> {
    const nowMs = Date.now();
    const config = this.#config();
    const anomaly = this.#anomaly;
    return {
      sessionId,
      storedKeys: [...this.ctx.storage.kv.list()].length,
      admissions: pruneLog(
        this.#log,
        nowMs,
        config.sessionWindowSeconds * 1000,
      ),
      owner: anomaly?.owner
        ? {
            ip: anomaly.owner.ip,
            network: anomaly.owner.network,
            userAgent: anomaly.owner.userAgent.raw,
          }
        : null,
      unconfirmedClients: anomaly?.candidates.length ?? 0,
      quarantinedUntil: anomaly?.quarantinedUntilMs ?? null,
      risk: anomaly
        ? sumRisk(anomaly.risk, nowMs, config.riskPeriodSeconds * 1000)
        : { checked: 0, foreign: 0 },
      alarmAt: await this.ctx.storage.getAlarm(),
    };
  }

  /** Returns when this session's state stops mattering, or undefined if empty. */
  #expiresAt(config: LimiterConfig): number | undefined {
    const newest = this.#log[this.#log.length - 1];
    const logEnd =
      newest === undefined ? 0 : newest + config.sessionWindowSeconds * 1000;
    const anomalyEnd = this.#anomaly
      ? anomalyStateExpiresAt(this.#anomaly, toAnomalyPolicy(config))
      : 0;
    const end = Math.max(logEnd, anomalyEnd);
    return end === 0 ? undefined : end;
  }

  /**
   * Writes the session's state and makes sure a cleanup alarm is pending.
   * A session that was never admitted, blocked or flagged stays in memory
   * only (`durable` false), so a flood of fresh session ids that all hit the
   * global limit writes nothing to disk. Such a session loses only its
   * provisional owner if the object restarts.
   */
  async #save(config: LimiterConfig, durable: boolean): Promise<void> {
    if (!durable && !this.#stored) return;
    this.ctx.storage.kv.put(LOG_KEY, this.#log);
    if (this.#anomaly) this.ctx.storage.kv.put(ANOMALY_KEY, this.#anomaly);
    this.#stored = true;
    await this.#scheduleCleanup(config);
  }

  /**
   * Makes sure a cleanup alarm is pending. Every request pushes the expiry
   * later, but moving the alarm each time would cost a storage write per
   * request, so an earlier alarm is left alone: when it fires, `alarm()`
   * finds the state still live and sets the next one.
   */
  async #scheduleCleanup(config: LimiterConfig): Promise<void> {
    const expiresAt = this.#expiresAt(config);
    if (expiresAt === undefined) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(expiresAt);
    }
  }

  override async alarm(): Promise<void> {
    const config = this.#config();
    const nowMs = Date.now();
    const expiresAt = this.#expiresAt(config);

    if (expiresAt !== undefined && expiresAt > nowMs) {
      await this.ctx.storage.setAlarm(expiresAt);
      return;
    }
    this.#log = [];
    this.#anomaly = undefined;
    this.#stored = false;
    await this.ctx.storage.deleteAll();
  }
}
