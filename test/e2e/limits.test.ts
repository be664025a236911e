/**
 * Limits across two real backend processes sharing one coordinator, with
 * windows shortened to 3 s so nothing waits for a real minute.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { countStatuses, sleep, startHarness, type Harness } from "./harness";

const WINDOW_SECONDS = 3;
const SETTINGS = {
  GLOBAL_LIMIT: "30",
  GLOBAL_WINDOW_SECONDS: String(WINDOW_SECONDS),
  SESSION_LIMIT: "5",
  SESSION_WINDOW_SECONDS: String(WINDOW_SECONDS),
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(SETTINGS);
});

afterAll(async () => {
  await harness?.stop();
});

// Every test starts from empty windows.
beforeEach(async () => {
  await harness.resetCoordinator();
});

describe("limits across two backends", () => {
  it("admits exactly five of 20 parallel same-session requests", async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        harness.send(index % 2 === 0 ? harness.a : harness.b, {
          sessionId: "s-race",
        }),
      ),
    );

    const counts = countStatuses(responses);
    expect(counts[200]).toBe(5);
    expect(counts[429]).toBe(15);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.body.reason).toBe("session_limit");
    }
  });

  it("admits exactly 30 of 40 parallel distinct sessions", async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        harness.send(index % 2 === 0 ? harness.a : harness.b, {
          sessionId: `s-many-${index}`,
        }),
      ),
    );

    const counts = countStatuses(responses);
    expect(counts[200]).toBe(30);
    expect(counts[429]).toBe(10);
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.body.reason).toBe("global_limit");
      expect(response.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
    }
  });

  it("shares one count between alternating backends", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      const base = index % 2 === 0 ? harness.a : harness.b;
      statuses.push((await harness.send(base, { sessionId: "s-alt" })).status);
      await sleep(100);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("admits a retry sent exactly Retry-After seconds later", async () => {
    for (let index = 0; index < 5; index++) {
      expect(
        (await harness.send(harness.a, { sessionId: "s-honest" })).status,
      ).toBe(200);
    }
    const rejected = await harness.send(harness.b, { sessionId: "s-honest" });
    expect(rejected.status).toBe(429);
    const retryAfter = rejected.headers.get("retry-after");
    expect(retryAfter).toMatch(/^[1-9][0-9]*$/);

    await sleep(Number(retryAfter) * 1000);
    const retried = await harness.send(harness.a, { sessionId: "s-honest" });
    expect(retried.status).toBe(200);
  });

  it("rounds a sub-second wait up to Retry-After 1", async () => {
    for (let index = 0; index < 5; index++) {
      await harness.send(harness.a, { sessionId: "s-ra-late" });
    }
    await sleep(WINDOW_SECONDS * 1000 - 300);

    const rejected = await harness.send(harness.b, { sessionId: "s-ra-late" });
    expect(rejected.status).toBe(429);
    expect(rejected.headers.get("retry-after")).toBe("1");
    expect(rejected.body.retryAfterSeconds).toBe(1);
  });

  it("does not let a rejected request extend the wait", async () => {
    for (let index = 0; index < 5; index++) {
      await harness.send(harness.a, { sessionId: "s-no-extend" });
    }
    const first = await harness.send(harness.b, { sessionId: "s-no-extend" });
    for (let index = 0; index < 5; index++) {
      await harness.send(harness.b, { sessionId: "s-no-extend" });
    }
    await sleep(Number(first.headers.get("retry-after")) * 1000);

    expect(
      (await harness.send(harness.a, { sessionId: "s-no-extend" })).status,
    ).toBe(200);
  });

  it("keeps session rejections out of the global window", async () => {
    for (let index = 0; index < 5; index++) {
      await harness.send(harness.a, { sessionId: "s-hog" });
    }
    const hogged = await Promise.all(
      Array.from({ length: 20 }, () =>
        harness.send(harness.b, { sessionId: "s-hog" }),
      ),
    );
    expect(countStatuses(hogged)[429]).toBe(20);

    // 25 global slots remain: the 20 session rejections used none of them.
    const others = await Promise.all(
      Array.from({ length: 26 }, (_, index) =>
        harness.send(harness.a, { sessionId: `s-other-${index}` }),
      ),
    );
    expect(countStatuses(others)[200]).toBe(25);
  });

  it("keeps global rejections out of the session window", async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        harness.send(harness.a, { sessionId: `s-fill-${index}` }),
      ),
    );
    const rejected = await harness.send(harness.b, { sessionId: "s-starved" });
    expect(rejected.status).toBe(429);
    expect(rejected.body.reason).toBe("global_limit");
    expect(rejected.headers.get("ratelimit")).toContain('"session";r=5');
  });

  it("gives the 31st new session and address a 429", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 31; index++) {
      const response = await harness.send(
        index % 2 === 0 ? harness.a : harness.b,
        {
          sessionId: `s-new-${index}`,
          ipAddress: `198.51.100.${index + 1}`,
        },
      );
      statuses.push(response.status);
    }

    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});
