import { DurableObject } from "cloudflare:workers";
import { configFromEnv } from "../worker/config";
import {
  checkWindow,
  insertEntry,
  pruneLog,
  removeEntry,
  type WindowPolicy,
  type WindowStatus,
} from "./sliding-window";

const LOG_KEY = "admissions";

export interface GlobalAcquireResult {
  allowed: boolean;
  /** Milliseconds until the global window has room; 0 when allowed. */
  retryAfterMs: number;
  /** The window after this call, so an admission is already counted. */
  status: WindowStatus;
  /** Epoch milliseconds on this object's clock when the check ran. */
  atMs: number;
}

/**
 * The single global window. Every admission in the deployment passes through
 * this one object, so its sliding log is exact whatever backend took the
 * request. The log lives in SQLite-backed storage so a restart or eviction
 * keeps the window, and it never contains more than `limit` live entries.
 */
export class GlobalLimiter extends DurableObject<object> {
  #log: number[];

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.#log = ctx.storage.kv.get<number[]>(LOG_KEY) ?? [];
  }

  #policy(): WindowPolicy {
    const config = configFromEnv(this.env);
    return {
      limit: config.globalLimit,
      windowMs: config.globalWindowSeconds * 1000,
    };
  }

  /** Records one admission if the global window has room. */
  acquire(): GlobalAcquireResult {
    const atMs = Date.now();
    const policy = this.#policy();
    const log = pruneLog(this.#log, atMs, policy.windowMs);
    const check = checkWindow(log, atMs, policy);

    if (!check.allowed) {
      return {
        allowed: false,
        retryAfterMs: check.retryAfterMs,
        status: check.status,
        atMs,
      };
    }

    this.#log = insertEntry(log, atMs);
    this.ctx.storage.kv.put(LOG_KEY, this.#log);
    const status = checkWindow(this.#log, atMs, policy).status;
    return { allowed: true, retryAfterMs: 0, status, atMs };
  }

  /** Gives back the admission recorded at `atMs` (a cancelled request). */
  release(atMs: number): void {
    const log = removeEntry(this.#log, atMs);
    if (log.length === this.#log.length) return;
    this.#log = log;
    this.ctx.storage.kv.put(LOG_KEY, log);
  }

  /** Reports the window without recording anything. */
  peek(): GlobalAcquireResult {
    const atMs = Date.now();
    const policy = this.#policy();
    const log = pruneLog(this.#log, atMs, policy.windowMs);
    const check = checkWindow(log, atMs, policy);
    return { ...check, atMs };
  }

  /** Returns the number of entries held in storage, for bounded-state tests. */
  storedEntryCount(): number {
    return (this.ctx.storage.kv.get<number[]>(LOG_KEY) ?? []).length;
  }
}
