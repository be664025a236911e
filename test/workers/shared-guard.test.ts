/**
 * One SessionGuard object shared by many session ids, as with SESSION_SHARDS
 * above 0: sessions keep separate windows and owners, and a session pushed
 * out of memory by many others is read back from storage intact.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idleSessionCapacity } from "../../durable-objects/guard-placement";

let nextRequest = 0;

function decide(
  objectName: string,
  sessionId: string,
  client: { ip?: string; userAgent?: string } = {},
) {
  return env.SESSION_GUARD.getByName(objectName).decide({
    requestId: `r-${nextRequest++}`,
    sessionId,
    ipAddress: client.ip ?? "203.0.113.7",
    userAgent: client.userAgent ?? "T/1",
  });
}

async function reasons(
  objectName: string,
  sessionId: string,
  count: number,
  client?: { ip?: string; userAgent?: string },
): Promise<string[]> {
  const result: string[] = [];
  for (let index = 0; index < count; index++) {
    const decision = await decide(objectName, sessionId, client);
    result.push(decision.admitted ? "admitted" : decision.reason);
  }
  return result;
}

describe("a SessionGuard shared by many sessions", () => {
  it("keeps each session's window separate", async () => {
    const expected = [...Array(5).fill("admitted"), "session_limit"];
    expect(await reasons("shard-windows", "s-one", 6)).toEqual(expected);
    expect(await reasons("shard-windows", "s-two", 6)).toEqual(expected);
  });

  it("keeps each session's owner separate", async () => {
    const first = { ip: "198.51.100.1", userAgent: "Alpha/1" };
    const second = { ip: "192.0.2.9", userAgent: "Beta/2" };
    expect(await reasons("shard-owners", "s-first", 2, first)).toEqual([
      "admitted",
      "admitted",
    ]);
    expect(await reasons("shard-owners", "s-second", 2, second)).toEqual([
      "admitted",
      "admitted",
    ]);
    expect(await reasons("shard-owners", "s-first", 1, second)).toEqual([
      "fingerprint_mismatch",
    ]);

    const stub = env.SESSION_GUARD.getByName("shard-owners");
    const inspection = await stub.inspect("s-first");
    expect(inspection.owner?.userAgent).toBe("Alpha/1");
    expect(inspection.sessionsInObject).toBe(2);
  });

  it("reads a session pushed out of memory back from storage", async () => {
    const object = "shard-eviction";
    const owner = { ip: "198.51.100.20", userAgent: "Gamma/3" };
    expect(await reasons(object, "s-early", 5, owner)).toEqual(
      Array(5).fill("admitted"),
    );

    // More idle sessions than the object keeps in memory.
    const capacity = idleSessionCapacity(Number(env.SESSION_SHARDS ?? 0));
    for (let index = 0; index <= capacity; index++) {
      await decide(object, `s-crowd-${index}`);
    }

    expect(await reasons(object, "s-early", 1, owner)).toEqual([
      "session_limit",
    ]);
    expect(
      await reasons(object, "s-early", 1, {
        ip: "192.0.2.77",
        userAgent: "Delta/4",
      }),
    ).toEqual(["fingerprint_mismatch"]);
  });
});
