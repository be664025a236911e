/**
 * Bounded state in the real topology: thousands of distinct sessions with
 * one-second session windows and risk periods leave no per-session state once
 * those periods have passed. The global window stays at 60 s so that the
 * whole burst falls into one global window.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, startHarness, type Harness } from "./harness";

const SESSION_COUNT = 2_000;
const SETTINGS = {
  GLOBAL_LIMIT: "30",
  GLOBAL_WINDOW_SECONDS: "60",
  SESSION_WINDOW_SECONDS: "1",
  RISK_PERIOD_SECONDS: "1",
  QUARANTINE_SECONDS: "1",
  // Creating thousands of objects is slow on a loaded disk; this test is
  // about what remains in storage, not about latency.
  COORDINATOR_TIMEOUT_MS: "10000",
};

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness(SETTINGS);
});

afterAll(async () => {
  await harness?.stop();
});

/** Runs `task` over `items` with at most `limit` in flight. */
async function runPooled<T, R>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  }
  await Promise.all(Array.from({ length: limit }, () => worker()));
  return results;
}

async function inspect(sessionId: string): Promise<Record<string, unknown>> {
  const { coordinator } = harness.topology;
  const response = await fetch(
    `http://127.0.0.1:${coordinator!.port}/v1/sessions/${encodeURIComponent(sessionId)}`,
    { headers: { "x-coordinator-secret": harness.topology.secret } },
  );
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("per-session state", () => {
  it("admits 30 of 2,001 sessions and then keeps nothing", async () => {
    // A probe shows what an admitted session stores while it is live.
    expect(
      (await harness.send(harness.a, { sessionId: "s-probe" })).status,
    ).toBe(200);
    const probe = await inspect("s-probe");
    expect(probe.stored).toBe(true);
    expect(probe.sessionsInObject).toBeGreaterThan(0);
    expect(probe.admissions).toHaveLength(1);

    const sessionIds = Array.from(
      { length: SESSION_COUNT },
      (_, index) => `s-bounded-${index}`,
    );
    const statuses = await runPooled(sessionIds, 20, async (sessionId) => {
      const base = sessionId.endsWith("1") ? harness.b : harness.a;
      return (await harness.send(base, { sessionId })).status;
    });
    const counts: Record<number, number> = {};
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
    expect(counts).toEqual({ 200: 29, 429: SESSION_COUNT - 29 });

    // The alarms fire one second after each session's last request.
    await sleep(2_500);

    const leftovers = await runPooled(
      ["s-probe", ...sessionIds],
      20,
      async (sessionId) => (await inspect(sessionId)).sessionsInObject,
    );
    expect(leftovers.filter((count) => count !== 0)).toEqual([]);

    // The launcher's 16 shared guards hold every session: the storage folder
    // has one database per guard, not one per session id.
    const guardFolder = readdirSync(harness.dataDir).find((name) =>
      name.includes("SessionGuard"),
    );
    expect(guardFolder).toBeDefined();
    const databases = readdirSync(
      path.join(harness.dataDir, guardFolder!),
    ).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
    expect(databases.length).toBeLessThanOrEqual(16);
  });
});
