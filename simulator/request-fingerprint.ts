/**
 * Fingerprint (IP address and User-Agent) of one request, with the ground
 * truth whether it differs from the user's stored fingerprint.
 */
import { generateIpv4Address, pickUserAgent } from "./random-fields.ts";
import type { SeededRandom } from "./seeded-random.ts";
import type { SimulatedUser } from "./user-pool.ts";

/** Headers that identify the sender of one request, plus ground truth. */
export interface RequestFingerprint {
  ipAddress: string;
  userAgent: string;
  /** True when the client chose to send an anomalous fingerprint. */
  anomalous: boolean;
  /**
   * True when the IP address or the User-Agent differs from the user's
   * stored one. An anomalous request may keep the original User-Agent, but
   * its new IP address still makes it foreign.
   */
  foreign: boolean;
}

/** Returns true when an IP address or User-Agent differs from the user's. */
export function isForeignFingerprint(
  user: SimulatedUser,
  ipAddress: string,
  userAgent: string,
): boolean {
  return ipAddress !== user.ipAddress || userAgent !== user.userAgent;
}

/**
 * Returns the anomaly probability (0 to 1) for a score and a uniform draw:
 * `score * u` percent, so score / 2 percent on average.
 */
export function computeAnomalyProbability(
  score: number,
  uniformDraw: number,
): number {
  return (score * uniformDraw) / 100;
}

/**
 * Chooses the fingerprint for the next request of `user`. An anomalous
 * request gets a fresh random IP address and a random User-Agent from the
 * client's list, for this one request only. The stored fingerprint stays.
 */
export function chooseFingerprint(
  user: SimulatedUser,
  random: SeededRandom,
): RequestFingerprint {
  const probability = computeAnomalyProbability(user.score, random.nextFloat());
  const anomalous = random.nextChance(probability);
  if (!anomalous) {
    return {
      ipAddress: user.ipAddress,
      userAgent: user.userAgent,
      anomalous: false,
      foreign: false,
    };
  }

  const ipAddress = generateIpv4Address(random);
  const userAgent = pickUserAgent(random);
  return {
    ipAddress,
    userAgent,
    anomalous: true,
    foreign: isForeignFingerprint(user, ipAddress, userAgent),
  };
}
