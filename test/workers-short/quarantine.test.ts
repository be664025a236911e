/**
 * Quarantine with one-second risk and quarantine periods: it starts after
 * repeated foreign requests, blocks the owner too, and ends by itself.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

function send(
  sessionId: string,
  ip = "203.0.113.7",
  userAgent = "T/1",
): Promise<Response> {
  return exports.default.fetch("http://edge/send", {
    method: "POST",
    headers: {
      "x-session-id": sessionId,
      "x-ip-address": ip,
      "user-agent": userAgent,
    },
    body: "words",
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe("quarantine", () => {
  it("quarantines a high-rate foreign session and releases it", async () => {
    expect((await send("s-quarantine")).status).toBe(200);
    expect((await send("s-quarantine")).status).toBe(200);
    for (let index = 0; index < 5; index++) {
      expect(
        (await send("s-quarantine", `198.51.100.${index + 1}`, "X/1")).status,
      ).toBe(403);
    }

    const owner = await send("s-quarantine");
    expect(owner.status).toBe(403);
    const body = await owner.json<Record<string, unknown>>();
    expect(body.reason).toBe("session_quarantined");
    expect(typeof body.quarantinedUntil).toBe("string");
    expect(owner.headers.get("retry-after")).toBe("1");

    await sleep(1_100);
    expect((await send("s-quarantine")).status).toBe(200);
  });
});
