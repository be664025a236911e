import { DurableObject } from "cloudflare:workers";
import { configFromEnv } from "../worker/config";
import type { GlobalLimiter } from "./global-limiter";
import type { Decision, DecisionRequest } from "./protocol";
import {
  checkWindow,
  insertEntry,
  pruneLog,
  removeEntry,
  toRetryAfterSeconds,
  type WindowPolicy,
} from "./sliding-window";

const LOG_KEY = "admissions";

export interface SessionGuardEnv {
  GLOBAL_LIMITER: DurableObjectNamespace<GlobalLimiter>;
}

/** Name of the one GlobalLimiter instance. */
export const GLOBAL_LIMITER_NAME = "global";

/**
 * One instance per session id. It serializes that session's decisions, owns
 * the session's sliding log and asks the GlobalLimiter for the global slot.
 *
 * State lives in SQLite-backed storage rather than only in memory, because the
 * runtime may evict or restart the object at any time and a restart must not
 * hand a session a fresh window. An alarm deletes the state once it can no
 * longer affect a decision, so storage stays bounded however many ids appear.
 */
export class SessionGuard extends DurableObject<SessionGuardEnv> {
  #log: number[];

  constructor(ctx: DurableObjectState, env: SessionGuardEnv) {
    super(ctx, env);
    this.#log = ctx.storage.kv.get<number[]>(LOG_KEY) ?? [];
  }

  #policy(): WindowPolicy {
    const config = configFromEnv(this.env);
    return {
      limit: config.sessionLimit,
      windowMs: config.sessionWindowSeconds * 1000,
    };
  }

  #globalLimiter(): DurableObjectStub<GlobalLimiter> {
    return this.env.GLOBAL_LIMITER.getByName(GLOBAL_LIMITER_NAME);
  }

  /** Decides one `/send` request of this session. */
  async decide(_request: DecisionRequest): Promise<Decision> {
    const nowMs = Date.now();
    const policy = this.#policy();
    const log = pruneLog(this.#log, nowMs, policy.windowMs);
    this.#log = log;
    const sessionCheck = checkWindow(log, nowMs, policy);

    if (!sessionCheck.allowed) {
      // The request would also need a global slot, so the honest wait is the
      // later of the two. Peeking records nothing in the global window.
      const global = await this.#globalLimiter().peek();
      const waitMs = Math.max(sessionCheck.retryAfterMs, global.retryAfterMs);
      return {
        admitted: false,
        reason: "session_limit",
        retryAfterSeconds: toRetryAfterSeconds(waitMs),
        limits: { session: sessionCheck.status, global: global.status },
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
      return {
        admitted: false,
        reason: "global_limit",
        retryAfterSeconds: toRetryAfterSeconds(global.retryAfterMs),
        limits: {
          session: checkWindow(this.#log, nowMs, policy).status,
          global: global.status,
        },
      };
    }

    this.ctx.storage.kv.put(LOG_KEY, this.#log);
    await this.#scheduleCleanup(policy);
    return {
      admitted: true,
      admittedAt: global.atMs,
      limits: {
        session: checkWindow(this.#log, Date.now(), policy).status,
        global: global.status,
      },
    };
  }

  /** Sets the alarm to the moment the newest entry leaves the window. */
  async #scheduleCleanup(policy: WindowPolicy): Promise<void> {
    const newest = this.#log[this.#log.length - 1];
    if (newest === undefined) return;
    await this.ctx.storage.setAlarm(newest + policy.windowMs);
  }

  override async alarm(): Promise<void> {
    const policy = this.#policy();
    const nowMs = Date.now();
    this.#log = pruneLog(this.#log, nowMs, policy.windowMs);

    if (this.#log.length > 0) {
      this.ctx.storage.kv.put(LOG_KEY, this.#log);
      await this.#scheduleCleanup(policy);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
