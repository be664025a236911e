/**
 * Many sessions in one shared SessionGuard (SESSION_SHARDS=1), raced through
 * both backends: each session still gets exactly its limit, and a coordinator
 * restart keeps every session's window. An empty SESSION_SHARDS means the
 * launcher's default, not one guard per session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";

const SESSION_COUNT = 40;
const REQUESTS_PER_SESSION = 8;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    SESSION_SHARDS: "1",
    // High enough that only the session limit rejects.
    GLOBAL_LIMIT: "1000",
    SESSION_LIMIT: "5",
    COORDINATOR_TIMEOUT_MS: "10000",
  });
});

afterAll(async () => {
  await harness?.stop();
});

function countAdmitted(
  sessionIds: string[],
  statuses: number[],
): Map<string, number> {
  const admitted = new Map<string, number>();
  sessionIds.forEach((sessionId, index) => {
    if (statuses[index] === 200) {
      admitted.set(sessionId, (admitted.get(sessionId) ?? 0) + 1);
    }
  });
  return admitted;
}

describe("one guard shared by all sessions", () => {
  it("admits exactly five per session under a race", async () => {
    const sessionIds = Array.from(
      { length: SESSION_COUNT * REQUESTS_PER_SESSION },
      (_, index) => `s-race-${index % SESSION_COUNT}`,
    );
    const responses = await Promise.all(
      sessionIds.map((sessionId, index) =>
        harness.send(index % 2 === 0 ? harness.a : harness.b, { sessionId }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(new Set(statuses)).toEqual(new Set([200, 429]));

    const admitted = countAdmitted(sessionIds, statuses);
    expect(admitted.size).toBe(SESSION_COUNT);
    for (const [sessionId, count] of admitted) {
      expect(count, sessionId).toBe(5);
    }
  });

  it("keeps every session's window across a restart", async () => {
    const sessionIds = Array.from(
      { length: 10 },
      (_, index) => `s-kept-${index}`,
    );
    for (const sessionId of sessionIds) {
      for (let request = 0; request < 5; request++) {
        expect((await harness.send(harness.a, { sessionId })).status).toBe(200);
      }
    }

    await harness.restartCoordinator();

    for (const sessionId of sessionIds) {
      const response = await harness.send(harness.b, { sessionId });
      expect(response.status, sessionId).toBe(429);
      expect(response.body.reason).toBe("session_limit");
    }
  });
});

describe("an empty SESSION_SHARDS", () => {
  let defaults: Harness;

  beforeAll(async () => {
    defaults = await startHarness({ SESSION_SHARDS: "" });
  });

  afterAll(async () => {
    await defaults?.stop();
  });

  it("uses the launcher's shared guards", async () => {
    const sessionIds = Array.from(
      { length: 20 },
      (_, index) => `s-empty-${index}`,
    );
    for (const sessionId of sessionIds) {
      expect((await defaults.send(defaults.a, { sessionId })).status).toBe(200);
    }

    // 20 sessions over 16 guards: at least one guard stores two of them.
    const port = defaults.topology.coordinator!.port;
    const counts = await Promise.all(
      sessionIds.map(async (sessionId) => {
        const response = await fetch(
          `http://127.0.0.1:${port}/v1/sessions/${sessionId}`,
          { headers: { "x-coordinator-secret": defaults.topology.secret } },
        );
        const inspection = (await response.json()) as {
          sessionsInObject: number;
        };
        return inspection.sessionsInObject;
      }),
    );
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(2);
  });
});
