/** Longest accepted session id, in characters. */
export const MAX_SESSION_ID_LENGTH = 256;

// Letters, digits and the punctuation of common token formats (UUIDs, base64,
// JWT-like ids). No spaces or control characters, so an id is safe to log.
const SESSION_ID_PATTERN = /^[A-Za-z0-9._~:+/=-]+$/;

/** Tells whether `value` is an acceptable session id. */
export function isValidSessionId(value: string): boolean {
  return (
    value.length >= 1 &&
    value.length <= MAX_SESSION_ID_LENGTH &&
    SESSION_ID_PATTERN.test(value)
  );
}
