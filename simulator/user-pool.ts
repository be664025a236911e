/**
 * The client's list of simulated users ("sessions").
 *
 * Before each request the client creates a new user when the list is empty,
 * or with 20 % probability while the list contains fewer than 20 users.
 * Otherwise it picks an existing user uniformly at random.
 */
import {
  generateIpv4Address,
  generateSessionId,
  pickUserAgent,
} from "./random-fields.ts";
import type { SeededRandom } from "./seeded-random.ts";

/** Maximum number of users one client loop keeps. */
export const MAX_USERS_PER_CLIENT = 20;
/** Probability of creating a new user while the list is not full. */
export const NEW_USER_PROBABILITY = 0.2;
/** Scores are integers in [0, SCORE_RANGE). */
export const SCORE_RANGE = 100;

/** One simulated user with the fingerprint it normally sends. */
export interface SimulatedUser {
  sessionId: string;
  ipAddress: string;
  userAgent: string;
  /** Hidden bad-actor score, 0-99; the anomaly chance grows with it. */
  score: number;
}

/** User list of one client loop. */
export interface UserPool {
  users: SimulatedUser[];
}

/** Result of choosing the user for the next request. */
export interface UserChoice {
  user: SimulatedUser;
  isNewUser: boolean;
}

/** Creates an empty user list. */
export function createUserPool(): UserPool {
  return { users: [] };
}

/** Creates a user with a random session id, fingerprint and score. */
export function createSimulatedUser(random: SeededRandom): SimulatedUser {
  const sessionId = generateSessionId(random);
  const userAgent = pickUserAgent(random);
  const ipAddress = generateIpv4Address(random);
  const score = random.nextInt(SCORE_RANGE);
  return { sessionId, ipAddress, userAgent, score };
}

/**
 * Chooses the user for the next request and adds a newly created user to
 * the pool.
 */
export function chooseUser(pool: UserPool, random: SeededRandom): UserChoice {
  const mustCreate = pool.users.length === 0;
  const mayCreate =
    pool.users.length < MAX_USERS_PER_CLIENT &&
    random.nextChance(NEW_USER_PROBABILITY);

  if (mustCreate || mayCreate) {
    const user = createSimulatedUser(random);
    pool.users.push(user);
    return { user, isNewUser: true };
  }
  return { user: random.pickOne(pool.users), isNewUser: false };
}
