/**
 * Generators for the random header and body values that the client sends.
 */
import type { SeededRandom } from "./seeded-random.ts";
import { CLIENT_USER_AGENTS } from "./user-agents.ts";

const ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Length of a generated session id, in letters. */
export const SESSION_ID_LENGTH = 10;
/** Maximum number of words in a request body (the minimum is 0). */
export const MAX_BODY_WORDS = 9;
/** Maximum length of one body word, in letters (the minimum is 1). */
export const MAX_BODY_WORD_LETTERS = 9;

/** Returns a string of `length` random ASCII letters. */
export function generateLetters(random: SeededRandom, length: number): string {
  let text = "";
  for (let i = 0; i < length; i += 1) {
    text += ASCII_LETTERS[random.nextInt(ASCII_LETTERS.length)];
  }
  return text;
}

/** Returns a session id of 10 random ASCII letters. */
export function generateSessionId(random: SeededRandom): string {
  return generateLetters(random, SESSION_ID_LENGTH);
}

/** Returns a dotted IPv4 address whose four octets are each in 0-254. */
export function generateIpv4Address(random: SeededRandom): string {
  const octets: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    octets.push(random.nextInt(255));
  }
  return octets.join(".");
}

/** Returns one of the client's seven User-Agent strings. */
export function pickUserAgent(random: SeededRandom): string {
  return random.pickOne(CLIENT_USER_AGENTS);
}

/**
 * Returns a body of 0 to 9 space-separated words of 1 to 9 letters each,
 * so at most 89 bytes.
 */
export function generateBodyText(random: SeededRandom): string {
  const wordCount = random.nextInt(MAX_BODY_WORDS + 1);
  const words: string[] = [];
  for (let i = 0; i < wordCount; i += 1) {
    const letterCount = 1 + random.nextInt(MAX_BODY_WORD_LETTERS);
    words.push(generateLetters(random, letterCount));
  }
  return words.join(" ");
}
