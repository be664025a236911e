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
 * per-session one run the same code. Changing the shard count moves sessions
 * to other objects: their windows and owners start afresh, as after a loss of
 * the coordinator's storage. The global limit is not affected.
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
