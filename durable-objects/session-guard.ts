import { DurableObject } from "cloudflare:workers";
import { LRUCache } from "lru-cache";
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
import { SessionStore, type StoredSession } from "./session-store";
import { idleSessionCapacity } from "./guard-placement";
import {
  checkWindow,
  insertEntry,
  pruneLog,
  removeEntry,
  toRetryAfterSeconds,
  type WindowPolicy,
} from "./sliding-window";

export interface SessionGuardEnv {
  GLOBAL_LIMITER: DurableObjectNamespace<GlobalLimiter>;
}

/** Name of the one GlobalLimiter instance. */
export const GLOBAL_LIMITER_NAME = "global";

/** How long a cancellation that arrived before its request is remembered. */
const CANCELLED_MEMORY_MS = 60_000;
/** Most cancellations remembered per object; older ones are dropped. */
const MAX_CANCELLED = 1024;

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
  sessionId: string;
  sessionAtMs: number;
  globalAtMs: number;
}

/** One session's state while it is in memory. */
interface SessionEntry extends StoredSession {
  sessionId: string;
  /** Whether storage has a row for this session. */
  stored: boolean;
  /** Calls that are using this entry now; such an entry is never dropped. */
  inFlight: number;
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

/** Returns when a session's state stops mattering, or undefined if empty. */
function sessionExpiresAt(
  session: StoredSession,
  config: LimiterConfig,
): number | undefined {
  const newest = session.log[session.log.length - 1];
  const logEnd =
    newest === undefined ? 0 : newest + config.sessionWindowSeconds * 1000;
  const anomalyEnd = session.anomaly
    ? anomalyStateExpiresAt(session.anomaly, toAnomalyPolicy(config))
    : 0;
  const end = Math.max(logEnd, anomalyEnd);
  return end === 0 ? undefined : end;
}

/**
 * Serializes the decisions of the sessions it owns: the fingerprint check,
 * the session's sliding log, then the global slot from the GlobalLimiter.
 * It owns one session id or a shard of them (see `guard-placement.ts`). The
 * code is the same for both, because every session is stored under its own id.
 *
 * State lives in SQLite-backed storage rather than only in memory, because the
 * runtime may evict or restart the object at any time and a restart must not
 * hand a session a fresh window or forget its owner. An alarm deletes each
 * session once it can no longer affect a decision, so storage stays bounded
 * however many session ids appear. Memory contains at most
 * `idleSessionCapacity` idle sessions besides those being decided. A stored
 * session that drops out is read again from storage. A session kept only in
 * memory loses its provisional owner, as it would if the object restarted.
 */
export class SessionGuard extends DurableObject<SessionGuardEnv> {
  readonly #store: SessionStore;
  /** Sessions with a call in progress, by id. */
  #active = new Map<string, SessionEntry>();
  /** Recently used sessions with no call in progress, by id. */
  readonly #idle: LRUCache<string, SessionEntry>;
  /**
   * Admissions still inside the session window, by request id, so that a
   * cancellation can give them back. Kept in memory only: after a restart a
   * late cancellation finds nothing and the slot stays used until it expires.
   * At most the global limit's worth of admissions fit in one window.
   */
  #recent = new Map<string, RecentAdmission>();
  /** Cancellations that arrived before or during their request, by id. */
  #cancelled = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: SessionGuardEnv) {
    super(ctx, env);
    this.#store = new SessionStore(ctx.storage.sql);
    this.#idle = new LRUCache({
      max: idleSessionCapacity(configFromEnv(env).sessionShards),
    });
  }

  #config(): LimiterConfig {
    return configFromEnv(this.env);
  }

  #globalLimiter(): DurableObjectStub<GlobalLimiter> {
    return this.env.GLOBAL_LIMITER.getByName(GLOBAL_LIMITER_NAME);
  }

  /**
   * Returns the session's entry and marks it in use. Every call that takes an
   * entry gives it back with `#release`, so that all concurrent calls of a
   * session share one entry and see each other's reservations.
   */
  #take(sessionId: string): SessionEntry {
    let entry = this.#active.get(sessionId);
    if (!entry) {
      entry = this.#idle.get(sessionId);
      this.#idle.delete(sessionId);
      if (!entry) {
        const stored = this.#store.load(sessionId);
        entry = {
          sessionId,
          log: stored?.log ?? [],
          anomaly: stored?.anomaly,
          stored: stored !== undefined,
          inFlight: 0,
        };
      }
      this.#active.set(sessionId, entry);
    }
    entry.inFlight += 1;
    return entry;
  }

  #release(entry: SessionEntry): void {
    entry.inFlight -= 1;
    if (entry.inFlight > 0) return;
    this.#active.delete(entry.sessionId);
    this.#idle.set(entry.sessionId, entry);
  }

  /**
   * Runs the fingerprint check and records its outcome in the entry. Returns
   * the block decision to send, or a note for monitor mode, or nothing.
   */
  #checkFingerprint(
    entry: SessionEntry,
    request: DecisionRequest,
    nowMs: number,
    config: LimiterConfig,
  ): { block?: BlockDecision; note?: MonitorNote } {
    const fingerprint = toFingerprint(request.ipAddress, request.userAgent, {
      ipv4: config.ipv4NetworkPrefix,
      ipv6: config.ipv6NetworkPrefix,
    });
    const { state, verdict } = assessRequest(
      entry.anomaly,
      fingerprint,
      nowMs,
      toAnomalyPolicy(config),
    );
    entry.anomaly = state;
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

  /** Decides one `/send` request. */
  async decide(
    request: DecisionRequest,
  ): Promise<Decision | CancelledDecision> {
    if (this.#cancelled.delete(request.requestId)) return CANCELLED;
    const entry = this.#take(request.sessionId);
    try {
      return await this.#decide(entry, request);
    } finally {
      this.#release(entry);
    }
  }

  async #decide(
    entry: SessionEntry,
    request: DecisionRequest,
  ): Promise<Decision | CancelledDecision> {
    const nowMs = Date.now();
    const config = this.#config();
    const policy: WindowPolicy = {
      limit: config.sessionLimit,
      windowMs: config.sessionWindowSeconds * 1000,
    };

    // The anomaly check runs first, so a blocked request consumes no quota.
    const { block, note } = this.#checkFingerprint(
      entry,
      request,
      nowMs,
      config,
    );
    if (block) {
      await this.#save(entry, config, true);
      return block;
    }

    entry.log = pruneLog(entry.log, nowMs, policy.windowMs);
    const sessionCheck = checkWindow(entry.log, nowMs, policy);

    if (!sessionCheck.allowed) {
      // The request would also need a global slot, so the honest wait is the
      // later of the two. Peeking records nothing in the global window.
      const global = await this.#globalLimiter().peek();
      const waitMs = Math.max(sessionCheck.retryAfterMs, global.retryAfterMs);
      await this.#save(entry, config, note !== undefined);
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
    entry.log = insertEntry(entry.log, nowMs);
    let global;
    try {
      global = await this.#globalLimiter().acquire();
    } catch (error) {
      entry.log = removeEntry(entry.log, nowMs);
      throw error;
    }

    if (!global.allowed) {
      entry.log = removeEntry(entry.log, nowMs);
      await this.#save(entry, config, note !== undefined);
      return {
        admitted: false,
        reason: "global_limit",
        retryAfterSeconds: toRetryAfterSeconds(global.retryAfterMs),
        limits: {
          session: checkWindow(entry.log, nowMs, policy).status,
          global: global.status,
        },
        anomaly: note,
      };
    }

    // The edge may have given up while the global limiter was deciding.
    if (this.#cancelled.delete(request.requestId)) {
      entry.log = removeEntry(entry.log, nowMs);
      await this.#globalLimiter().release(global.atMs);
      return CANCELLED;
    }

    this.#rememberAdmission(request, nowMs, global.atMs, policy);
    await this.#save(entry, config, true);
    return {
      admitted: true,
      admittedAt: global.atMs,
      limits: {
        session: checkWindow(entry.log, Date.now(), policy).status,
        global: global.status,
      },
      anomaly: note,
    };
  }

  #rememberAdmission(
    request: DecisionRequest,
    sessionAtMs: number,
    globalAtMs: number,
    policy: WindowPolicy,
  ): void {
    for (const [id, admission] of this.#recent) {
      if (admission.sessionAtMs <= sessionAtMs - policy.windowMs) {
        this.#recent.delete(id);
      }
    }
    this.#recent.set(request.requestId, {
      sessionId: request.sessionId,
      sessionAtMs,
      globalAtMs,
    });
  }

  /**
   * Gives back the admission of a request that the edge rejected with 503 after
   * its timeout, so a failed request consumes no quota. A cancellation that
   * arrives before its request is remembered for a minute and the request
   * is then refused. Returns whether an admission was given back.
   */
  async cancel(sessionId: string, requestId: string): Promise<boolean> {
    const admission = this.#recent.get(requestId);
    if (admission && admission.sessionId === sessionId) {
      this.#recent.delete(requestId);
      const entry = this.#take(sessionId);
      try {
        entry.log = removeEntry(entry.log, admission.sessionAtMs);
        await this.#globalLimiter().release(admission.globalAtMs);
        await this.#save(entry, this.#config(), false);
      } finally {
        this.#release(entry);
      }
      logEvent("admission_cancelled", { requestId, sessionId });
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

  /** Reports what this object stores for a session, changing nothing. */
  async inspect(sessionId: string): Promise<SessionInspection> {
    const nowMs = Date.now();
    const config = this.#config();
    const entry =
      this.#active.get(sessionId) ??
      this.#idle.peek(sessionId) ??
      this.#store.load(sessionId);
    const anomaly = entry?.anomaly;
    return {
      sessionId,
      stored: this.#store.has(sessionId),
      sessionsInObject: this.#store.count(),
      admissions: pruneLog(
        entry?.log ?? [],
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

  /**
   * Writes the session's state and makes sure a cleanup alarm is pending.
   * A session that was never admitted, blocked or flagged stays in memory
   * only (`durable` false), so a flood of fresh session ids that all hit the
   * global limit writes nothing to disk. Such a session loses only its
   * provisional owner if the object restarts or drops it from memory.
   */
  async #save(
    entry: SessionEntry,
    config: LimiterConfig,
    durable: boolean,
  ): Promise<void> {
    if (!durable && !entry.stored) return;
    const expiresAt = sessionExpiresAt(entry, config);
    if (expiresAt === undefined) {
      this.#store.remove(entry.sessionId);
      entry.stored = false;
      return;
    }
    this.#store.save(
      entry.sessionId,
      { log: entry.log, anomaly: entry.anomaly },
      expiresAt,
    );
    entry.stored = true;
    // Moving the alarm on every request would cost a write each time. A later
    // expiry is left to the pending alarm, which sets the next one when it
    // fires; only an earlier one moves it.
    const alarmAt = await this.ctx.storage.getAlarm();
    if (alarmAt === null || alarmAt > expiresAt) {
      await this.ctx.storage.setAlarm(expiresAt);
    }
  }

  override async alarm(): Promise<void> {
    const nowMs = Date.now();
    for (const sessionId of this.#store.removeExpired(nowMs)) {
      const entry = this.#active.get(sessionId) ?? this.#idle.peek(sessionId);
      if (entry) entry.stored = false;
      this.#idle.delete(sessionId);
    }

    const next = this.#store.nextExpiry();
    if (next !== undefined) {
      await this.ctx.storage.setAlarm(next);
      return;
    }
    if (this.#active.size > 0) {
      // A call in progress may write at any moment, and wiping the storage
      // under it would lose that write. Try again a second later.
      await this.ctx.storage.setAlarm(nowMs + 1000);
      return;
    }
    // Nothing is stored: drop the table as well, so a per-session object
    // leaves no storage behind.
    await this.ctx.storage.deleteAll();
    this.#store.forgetTable();
  }
}
