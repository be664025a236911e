/**
 * Everything the client decides before it sends a request: the user, the
 * fingerprint and the body. Servers are chosen later, once per attempt.
 */
import { generateBodyText } from "./random-fields.ts";
import {
  chooseFingerprint,
  type RequestFingerprint,
} from "./request-fingerprint.ts";
import type { SeededRandom } from "./seeded-random.ts";
import { chooseUser, type SimulatedUser, type UserPool } from "./user-pool.ts";

/** The decisions for one request, made before its first attempt. */
export interface RequestPlan {
  user: SimulatedUser;
  isNewUser: boolean;
  fingerprint: RequestFingerprint;
  bodyText: string;
}

/**
 * Plans the next request. The random draws happen in a fixed order (user,
 * fingerprint, body), so one seed always yields the same plans.
 */
export function planNextRequest(
  pool: UserPool,
  random: SeededRandom,
): RequestPlan {
  const { user, isNewUser } = chooseUser(pool, random);
  const fingerprint = chooseFingerprint(user, random);
  const bodyText = generateBodyText(random);
  return { user, isNewUser, fingerprint, bodyText };
}
