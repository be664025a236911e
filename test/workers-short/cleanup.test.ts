/**
 * Expiry and cleanup with one-second windows: many distinct sessions leave no
 * per-session state behind once their windows have passed.
 */
import { exports } from "cloudflare:workers";
import {
  env,
  listDurableObjectIds,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";

function send(sessionId: string): Promise<Response> {
  return exports.default.fetch("http://edge/send", {
    method: "POST",
    headers: {
      "x-session-id": sessionId,
      "x-ip-address": "203.0.113.7",
      "user-agent": "T/1",
    },
    body: "words",
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sessionsInObject(sessionId: string): Promise<number> {
  const stub = env.SESSION_GUARD.getByName(sessionId);
  return (await stub.inspect(sessionId)).sessionsInObject;
}

async function storageIsEmpty(sessionId: string): Promise<boolean> {
  const stub = env.SESSION_GUARD.getByName(sessionId);
  return runInDurableObject(
    stub,
    (_instance, state) => state.storage.sql.databaseSize <= 4096,
  );
}

// Every test starts after the previous one's windows have passed.
beforeEach(async () => {
  await sleep(1_100);
});

describe("per-session state", () => {
  it("deletes every session's state once its window passed", async () => {
    const sessionIds = Array.from(
      { length: 40 },
      (_, index) => `s-forget-${index}`,
    );
    const responses = await Promise.all(sessionIds.map((id) => send(id)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(30);
    expect(statuses.filter((status) => status === 429)).toHaveLength(10);

    const admitted = sessionIds.filter((_, index) => statuses[index] === 200);
    expect(await sessionsInObject(admitted[0]!)).toBe(1);

    await sleep(1_100);
    for (const id of admitted) {
      await runDurableObjectAlarm(env.SESSION_GUARD.getByName(id));
    }

    for (const id of sessionIds) {
      expect(await sessionsInObject(id)).toBe(0);
      expect(await storageIsEmpty(id)).toBe(true);
    }
  });

  it("bounds the global log by the limit", async () => {
    await Promise.all(
      Array.from({ length: 60 }, (_, index) => send(`s-bound-${index}`)),
    );
    const stub = env.GLOBAL_LIMITER.getByName("global");
    expect(await stub.storedEntryCount()).toBeLessThanOrEqual(30);
  });

  it("lets a session send again once its window passed", async () => {
    for (let index = 0; index < 5; index++) {
      expect((await send("s-expiry")).status).toBe(200);
    }
    expect((await send("s-expiry")).status).toBe(429);

    await sleep(1_050);
    expect((await send("s-expiry")).status).toBe(200);
  });
});

describe("listDurableObjectIds", () => {
  it("is reachable for diagnostics", async () => {
    const ids = await listDurableObjectIds(env.SESSION_GUARD);
    expect(Array.isArray(ids)).toBe(true);
  });
});
