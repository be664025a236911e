const encoder = new TextEncoder();

/**
 * Compares two strings in time independent of where they differ, by hashing
 * both first so the lengths match, then using the runtime's constant-time
 * comparison.
 */
export async function timingSafeEqualText(
  presented: string,
  expected: string,
): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}
