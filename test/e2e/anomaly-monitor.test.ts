/**
 * ANOMALY_MODE=monitor in the real topology: suspicious requests are let
 * through, marked in a header and body, and still rate limited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    ANOMALY_MODE: "monitor",
    SESSION_WINDOW_SECONDS: "30",
  });
});

afterAll(async () => {
  await harness?.stop();
});

describe("monitor mode", () => {
  it("admits a foreign request and reports would_block", async () => {
    await harness.send(harness.a, { sessionId: "s-monitor" });
    await harness.send(harness.b, { sessionId: "s-monitor" });

    const foreign = await harness.send(harness.a, {
      sessionId: "s-monitor",
      ipAddress: "198.51.100.9",
      userAgent: "Other/1",
    });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get("x-anomaly-verdict")).toBe("would_block");
    expect(foreign.body.anomaly).toMatchObject({
      reason: "fingerprint_mismatch",
    });

    const owner = await harness.send(harness.b, { sessionId: "s-monitor" });
    expect(owner.status).toBe(200);
    expect(owner.headers.get("x-anomaly-verdict")).toBeNull();
  });

  it("still applies the rate limits to monitored requests", async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      const response = await harness.send(
        index % 2 === 0 ? harness.a : harness.b,
        {
          sessionId: "s-monitor-limit",
          ipAddress: `198.51.${index}.9`,
          userAgent: `Client/${index}`,
        },
      );
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
