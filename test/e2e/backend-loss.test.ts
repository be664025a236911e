/**
 * Losing one backend: the other keeps enforcing the shared limits, because
 * the counts live in the coordinator, not in any backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopProcess } from "../../scripts/lib/topology";
import { startHarness, type Harness } from "./harness";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    SESSION_WINDOW_SECONDS: "30",
    GLOBAL_WINDOW_SECONDS: "30",
  });
});

afterAll(async () => {
  await harness?.stop();
});

describe("backend loss", () => {
  it("keeps the session count after one backend stops", async () => {
    for (let index = 0; index < 3; index++) {
      expect(
        (await harness.send(harness.a, { sessionId: "s-lost-a" })).status,
      ).toBe(200);
    }

    await stopProcess(harness.topology.backends[0]!.child, "SIGKILL");

    const statuses: number[] = [];
    for (let index = 0; index < 3; index++) {
      statuses.push(
        (await harness.send(harness.b, { sessionId: "s-lost-a" })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });
});
