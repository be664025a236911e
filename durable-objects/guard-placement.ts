/**
 * Chooses the SessionGuard object that owns a session id.
 *
 * With `shards` 0 every session id gets its own object, which suits Cloudflare:
 * objects spread over many machines and each one contains one session. On a
 * single machine every live object keeps its own SQLite database open in the
 * one coordinator process, so a flood of new session ids would grow that
 * process without bound. A fixed number of shared objects keeps it flat.
 *
 * Every object stores its sessions by session id, so a shared object and a
 * per-session one run the same code. Changing the shard count moves most
 * sessions to other objects, where their windows and owners start afresh, as
 * after a loss of the coordinator's storage. The global limit is unaffected.
 */

/** 32-bit FNV-1a over the UTF-16 code units; stable across processes. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Name of the object that decides for `sessionId`. */
export function guardObjectName(sessionId: string, shards: number): string {
  if (shards <= 0) return sessionId;
  return `shard-${hashText(sessionId) % shards}`;
}

/** Idle sessions that all guards of one coordinator keep in memory together. */
export const IDLE_SESSIONS_PER_COORDINATOR = 16_000;

/**
 * Returns how many idle sessions one guard keeps in memory, so that the
 * guards of one coordinator never keep more than
 * `IDLE_SESSIONS_PER_COORDINATOR` together, whatever the shard count. A
 * per-session guard (`shards` 0) decides for one session id only.
 */
export function idleSessionCapacity(shards: number): number {
  if (shards <= 0) return 1;
  return Math.max(1, Math.floor(IDLE_SESSIONS_PER_COORDINATOR / shards));
}
