import { describe, expect, it } from "vitest";
import {
  guardObjectName,
  IDLE_SESSIONS_PER_COORDINATOR,
  idleSessionCapacity,
} from "../../durable-objects/guard-placement";

describe("guardObjectName", () => {
  it("gives every session its own object when shards is 0", () => {
    expect(guardObjectName("s-1", 0)).toBe("s-1");
    expect(guardObjectName("user:42", 0)).toBe("user:42");
  });

  it("maps a session id to the same shard every time", () => {
    const first = guardObjectName("session-abc", 16);
    for (let run = 0; run < 5; run++) {
      expect(guardObjectName("session-abc", 16)).toBe(first);
    }
    expect(first).toMatch(/^shard-([0-9]|1[0-5])$/);
  });

  it("spreads session ids evenly over the shards", () => {
    const shards = 16;
    const counts = new Map<string, number>();
    const total = 16_000;
    for (let index = 0; index < total; index++) {
      const name = guardObjectName(`s-${index}`, shards);
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    expect(counts.size).toBe(shards);
    const mean = total / shards;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(mean * 0.8);
      expect(count).toBeLessThan(mean * 1.2);
    }
  });

  it("uses a single object when shards is 1", () => {
    expect(
      new Set(["a", "b", "c"].map((id) => guardObjectName(id, 1))),
    ).toEqual(new Set(["shard-0"]));
  });
});

describe("idleSessionCapacity", () => {
  it("splits one budget over the shards", () => {
    expect(idleSessionCapacity(1)).toBe(IDLE_SESSIONS_PER_COORDINATOR);
    expect(idleSessionCapacity(16)).toBe(1000);
    expect(idleSessionCapacity(256)).toBe(62);
  });

  it("keeps one session per per-session guard", () => {
    expect(idleSessionCapacity(0)).toBe(1);
  });

  it("stays within the budget for every allowed count", () => {
    for (let shards = 1; shards <= 256; shards++) {
      const total = idleSessionCapacity(shards) * shards;
      expect(total, `shards ${shards}`).toBeLessThanOrEqual(
        IDLE_SESSIONS_PER_COORDINATOR,
      );
    }
  });
});
