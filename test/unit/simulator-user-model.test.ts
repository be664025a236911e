import { describe, expect, it } from "vitest";
import { generateBodyText } from "../../simulator/random-fields.ts";
import {
  chooseFingerprint,
  isForeignFingerprint,
} from "../../simulator/request-fingerprint.ts";
import { planNextRequest } from "../../simulator/request-plan.ts";
import {
  createSeededRandom,
  type SeededRandom,
} from "../../simulator/seeded-random.ts";
import { CLIENT_USER_AGENTS } from "../../simulator/user-agents.ts";
import {
  chooseUser,
  createUserPool,
  MAX_USERS_PER_CLIENT,
  type SimulatedUser,
} from "../../simulator/user-pool.ts";

const OWNER: SimulatedUser = {
  sessionId: "abcdefghij",
  ipAddress: "10.0.0.1",
  userAgent: CLIENT_USER_AGENTS[0]!,
  score: 80,
};

/** Random source that replays fixed floats, for forcing one branch. */
function createScriptedRandom(floats: readonly number[]): SeededRandom {
  let index = 0;
  const nextFloat = (): number => floats[index++ % floats.length]!;
  const nextInt = (maxExclusive: number): number =>
    Math.floor(nextFloat() * maxExclusive);
  return {
    nextUint32: () => Math.floor(nextFloat() * 2 ** 32),
    nextFloat,
    nextInt,
    nextChance: (probability) => nextFloat() < probability,
    pickOne: (items) => items[nextInt(items.length)]!,
  };
}

describe("chooseUser", () => {
  it("creates a user when the pool is empty", () => {
    const pool = createUserPool();
    const choice = chooseUser(pool, createSeededRandom(1));
    expect(choice.isNewUser).toBe(true);
    expect(pool.users).toEqual([choice.user]);
  });

  it("never holds more than 20 users", () => {
    const pool = createUserPool();
    const random = createSeededRandom(2);
    for (let i = 0; i < 2_000; i += 1) {
      chooseUser(pool, random);
    }
    expect(pool.users).toHaveLength(MAX_USERS_PER_CLIENT);
  });

  it("creates users with valid fields", () => {
    const pool = createUserPool();
    const random = createSeededRandom(3);
    for (let i = 0; i < 500; i += 1) {
      chooseUser(pool, random);
    }
    for (const user of pool.users) {
      expect(user.sessionId).toMatch(/^[A-Za-z]{10}$/);
      expect(CLIENT_USER_AGENTS).toContain(user.userAgent);
      expect(Number.isInteger(user.score)).toBe(true);
      expect(user.score).toBeGreaterThanOrEqual(0);
      expect(user.score).toBeLessThanOrEqual(99);
      const octets = user.ipAddress.split(".").map(Number);
      expect(octets).toHaveLength(4);
      for (const octet of octets) {
        expect(octet).toBeGreaterThanOrEqual(0);
        expect(octet).toBeLessThanOrEqual(254);
      }
    }
  });

  it("creates a new user about 20 % of the time while not full", () => {
    const random = createSeededRandom(4);
    let created = 0;
    const trials = 10_000;
    for (let i = 0; i < trials; i += 1) {
      // A pool with one user is never empty and never full.
      const pool = { users: [OWNER] };
      if (chooseUser(pool, random).isNewUser) {
        created += 1;
      }
    }
    expect(created / trials).toBeGreaterThan(0.18);
    expect(created / trials).toBeLessThan(0.22);
  });
});

describe("isForeignFingerprint", () => {
  it("marks a new IP with the same UA as foreign", () => {
    expect(isForeignFingerprint(OWNER, "10.0.0.2", OWNER.userAgent)).toBe(true);
  });

  it("marks the same IP with a new UA as foreign", () => {
    const otherAgent = CLIENT_USER_AGENTS[1]!;
    expect(isForeignFingerprint(OWNER, OWNER.ipAddress, otherAgent)).toBe(true);
  });

  it("accepts the stored fingerprint", () => {
    expect(isForeignFingerprint(OWNER, OWNER.ipAddress, OWNER.userAgent)).toBe(
      false,
    );
  });
});

describe("chooseFingerprint", () => {
  it("keeps a foreign IP foreign when the random UA matches", () => {
    // Draws: uniform 0.99 (probability 0.792), chance 0.0 (anomalous),
    // four octets of 0.5 (127 each), then UA index 0 (the owner's UA).
    const random = createScriptedRandom([0.99, 0, 0.5, 0.5, 0.5, 0.5, 0]);
    const fingerprint = chooseFingerprint(OWNER, random);
    expect(fingerprint.anomalous).toBe(true);
    expect(fingerprint.userAgent).toBe(OWNER.userAgent);
    expect(fingerprint.ipAddress).toBe("127.127.127.127");
    expect(fingerprint.foreign).toBe(true);
  });

  it("never sends an anomaly for score 0", () => {
    const random = createSeededRandom(5);
    const honest = { ...OWNER, score: 0 };
    for (let i = 0; i < 1_000; i += 1) {
      expect(chooseFingerprint(honest, random).foreign).toBe(false);
    }
  });

  it("sends anomalies at about score / 2 percent", () => {
    const random = createSeededRandom(6);
    const user = { ...OWNER, score: 60 };
    let anomalies = 0;
    const trials = 20_000;
    for (let i = 0; i < trials; i += 1) {
      if (chooseFingerprint(user, random).anomalous) {
        anomalies += 1;
      }
    }
    expect(anomalies / trials).toBeGreaterThan(0.28);
    expect(anomalies / trials).toBeLessThan(0.32);
  });
});

describe("generateBodyText", () => {
  it("writes 0 to 9 words of letters", () => {
    const random = createSeededRandom(8);
    const wordCounts = new Set<number>();
    for (let i = 0; i < 1_000; i += 1) {
      const text = generateBodyText(random);
      expect(text).toMatch(/^([A-Za-z]+( [A-Za-z]+)*)?$/);
      expect(text.length).toBeLessThanOrEqual(89);
      wordCounts.add(text === "" ? 0 : text.split(" ").length);
    }
    expect([...wordCounts].sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
});

describe("planNextRequest", () => {
  function planMany(seed: number, count: number) {
    const pool = createUserPool();
    const random = createSeededRandom(seed);
    return Array.from({ length: count }, () => planNextRequest(pool, random));
  }

  it("repeats every plan for one seed", () => {
    expect(planMany(99, 500)).toEqual(planMany(99, 500));
  });

  it("differs for another seed", () => {
    expect(planMany(99, 20)).not.toEqual(planMany(100, 20));
  });
});
