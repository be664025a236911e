/**
 * Coordinator restarts and outages in the real topology. Backend A fails
 * closed (the default) and backend B fails open, so both policies are seen.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sleep, startHarness, type Harness } from "./harness";

const SETTINGS = {
  GLOBAL_LIMIT: "30",
  GLOBAL_WINDOW_SECONDS: "20",
  SESSION_LIMIT: "5",
  SESSION_WINDOW_SECONDS: "20",
  COORDINATOR_TIMEOUT_MS: "300",
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(SETTINGS, [
    { FAIL_MODE: "closed" },
    { FAIL_MODE: "open" },
  ]);
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await harness.resetCoordinator();
});

async function sendFive(sessionId: string): Promise<void> {
  for (let index = 0; index < 5; index++) {
    const response = await harness.send(
      index % 2 === 0 ? harness.a : harness.b,
      { sessionId },
    );
    expect(response.status).toBe(200);
  }
}

describe("coordinator restarts and failures", () => {
  it("keeps the session count across a restart", async () => {
    await sendFive("s-restart");

    await harness.restartCoordinator();

    const sixth = await harness.send(harness.b, { sessionId: "s-restart" });
    expect(sixth.status).toBe(429);
    expect(sixth.body.reason).toBe("session_limit");
  });

  it("keeps the global count across a restart", async () => {
    await Promise.all(
      Array.from({ length: 28 }, (_, index) =>
        harness.send(harness.a, { sessionId: `s-global-${index}` }),
      ),
    );

    await harness.restartCoordinator();

    const next = await harness.send(harness.a, { sessionId: "s-global-after" });
    expect(next.body.limits).toMatchObject({ global: { remaining: 1 } });
  });

  it("keeps the session owner across a restart", async () => {
    await harness.send(harness.a, { sessionId: "s-owner-restart" });
    await harness.send(harness.b, { sessionId: "s-owner-restart" });

    await harness.restartCoordinator();

    const intruder = await harness.send(harness.a, {
      sessionId: "s-owner-restart",
      ipAddress: "198.51.100.9",
      userAgent: "Other/1",
    });
    expect(intruder.status).toBe(403);
    expect(intruder.body.reason).toBe("fingerprint_mismatch");
    const owner = await harness.send(harness.b, {
      sessionId: "s-owner-restart",
    });
    expect(owner.status).toBe(200);
  });

  it("answers 503 with Retry-After when failing closed", async () => {
    await harness.topology.stopCoordinator();

    const startedMs = Date.now();
    const response = await harness.send(harness.a, { sessionId: "s-closed" });
    expect(response.status).toBe(503);
    expect(response.body.reason).toBe("limiter_unavailable");
    expect(response.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
    expect(Date.now() - startedMs).toBeLessThan(5_000);

    const ready = await fetch(`${harness.a}/readyz`);
    expect(ready.status).toBe(503);
    const health = await fetch(`${harness.a}/healthz`);
    expect(health.status).toBe(200);
  });

  it("admits and says so when failing open", async () => {
    await harness.topology.stopCoordinator();

    const response = await harness.send(harness.b, { sessionId: "s-open" });
    expect(response.status).toBe(200);
    expect(response.body.failOpen).toBe(true);

    const health = (await (await fetch(`${harness.b}/healthz`)).json()) as {
      failOpenCount: number;
    };
    expect(health.failOpenCount).toBeGreaterThanOrEqual(1);
  });

  it("keeps earlier counts after an outage", async () => {
    await sendFive("s-outage");
    await harness.topology.stopCoordinator();
    expect(
      (await harness.send(harness.a, { sessionId: "s-outage" })).status,
    ).toBe(503);

    await harness.topology.startCoordinator();
    await harness.topology.waitUntilReady();

    const sixth = await harness.send(harness.a, { sessionId: "s-outage" });
    expect(sixth.status).toBe(429);
  });

  it("answers before the timeout when the coordinator hangs", async () => {
    // SIGSTOP keeps the socket open but the process silent, like an overload.
    const coordinator = harness.topology.coordinator!.child;
    coordinator.kill("SIGSTOP");
    try {
      const startedMs = Date.now();
      const response = await harness.send(harness.a, { sessionId: "s-hang" });
      const elapsedMs = Date.now() - startedMs;
      expect(response.status).toBe(503);
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      coordinator.kill("SIGCONT");
    }
    await sleep(100);
    expect(
      (await harness.send(harness.a, { sessionId: "s-hang" })).status,
    ).toBe(200);
  });

  it("gives back quota taken by a request answered 503", async () => {
    // The coordinator is paused, so the edge times out and returns 503, the
    // decision is made after the pause and must then be cancelled.
    const coordinator = harness.topology.coordinator!.child;
    coordinator.kill("SIGSTOP");
    try {
      const timedOut = await harness.send(harness.a, { sessionId: "s-cancel" });
      expect(timedOut.status).toBe(503);
    } finally {
      coordinator.kill("SIGCONT");
    }
    await sleep(1_000);

    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      statuses.push(
        (await harness.send(harness.b, { sessionId: "s-cancel" })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    const ready = await fetch(`${harness.a}/readyz`);
    expect(ready.status).toBe(200);
    const next = await harness.send(harness.a, { sessionId: "s-cancel-probe" });
    expect(next.body.limits).toMatchObject({ global: { remaining: 24 } });
  });
});
