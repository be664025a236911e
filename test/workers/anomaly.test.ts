/**
 * Anomaly scenarios through the real worker and Durable Objects: which
 * requests of a session are blocked, and that blocked ones cost no quota.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

interface Client {
  ip?: string;
  userAgent?: string | null;
}

function send(sessionId: string, client: Client = {}): Promise<Response> {
  const headers = new Headers({
    "x-session-id": sessionId,
    "x-ip-address": client.ip ?? "203.0.113.7",
  });
  if (client.userAgent !== null)
    headers.set("user-agent", client.userAgent ?? "T/1");
  return exports.default.fetch("http://edge/send", {
    method: "POST",
    headers,
    body: "words",
  });
}

async function statuses(
  sessionId: string,
  clients: Client[],
): Promise<number[]> {
  const result: number[] = [];
  for (const client of clients)
    result.push((await send(sessionId, client)).status);
  return result;
}

describe("User-Agent binding", () => {
  it("blocks a changed User-Agent without breaking the owner", async () => {
    const owner = { userAgent: "T/1" };
    const intruder = { userAgent: "T/1 (X)" };
    const results = await statuses("s-ua", [
      owner,
      owner,
      intruder,
      owner,
      intruder,
    ]);
    expect(results).toEqual([200, 200, 403, 200, 403]);

    const missing = await send("s-ua", { userAgent: null });
    expect(missing.status).not.toBe(200);
  });

  it("explains a block without revealing the owner", async () => {
    await statuses("s-explain", [{}, {}]);
    const response = await send("s-explain", {
      ip: "198.51.100.9",
      userAgent: "Other/2",
    });
    expect(response.status).toBe(403);
    const body = await response.json<Record<string, unknown>>();
    expect(body.reason).toBe("fingerprint_mismatch");
    expect(String(body.message)).toContain("owner");
    // Neither the owner's address nor its network appears in the response.
    expect(JSON.stringify(body)).not.toContain("203.0.113");
    expect(response.headers.get("retry-after")).toBeNull();
  });
});

describe("address changes", () => {
  it("admits mobile churn inside a /24", async () => {
    const results = await statuses("s-churn", [
      { ip: "203.0.113.7" },
      { ip: "203.0.113.7" },
      { ip: "203.0.113.41" },
      { ip: "203.0.113.250" },
    ]);
    expect(results).toEqual([200, 200, 200, 200]);
  });

  it("blocks a rotated address without granting quota", async () => {
    const results = await statuses("s-rot", [
      {},
      {},
      {},
      {},
      {},
      { ip: "198.51.100.9" },
    ]);
    expect(results.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect([403, 429]).toContain(results[5]);
  });

  it("treats an IPv4-mapped IPv6 address as the same client", async () => {
    const results = await statuses("s-mapped", [
      { ip: "203.0.113.7" },
      { ip: "::ffff:203.0.113.7" },
      { ip: "::FFFF:cb00:7107" },
    ]);
    expect(results).toEqual([200, 200, 200]);
  });

  it("answers 400 to a garbage address", async () => {
    const response = await send("s-garbage", { ip: "203.0.113.7; DROP TABLE" });
    expect(response.status).toBe(400);
    const body = await response.json<Record<string, unknown>>();
    expect(body.header).toBe("x-ip-address");
  });
});

describe("owner establishment", () => {
  it("admits the owner after a foreign first request", async () => {
    const results = await statuses("s-first-foreign", [
      { ip: "198.51.100.9", userAgent: "Stranger/1" },
      {},
      {},
      {},
      { ip: "198.51.100.9", userAgent: "Stranger/1" },
    ]);
    // The owner loses one request to the stranger who came first, then owns
    // the session.
    expect(results).toEqual([200, 403, 200, 200, 403]);
  });
});

describe("quota", () => {
  it("spends no session quota on blocked requests", async () => {
    await statuses("s-free-403", [{}, {}]);
    const blocked = await statuses(
      "s-free-403",
      Array.from({ length: 4 }, (_, index) => ({
        ip: `198.51.100.${index + 1}`,
        userAgent: "X/1",
      })),
    );
    expect(blocked).toEqual([403, 403, 403, 403]);

    // Two of five slots were used, so three more fit before the limit.
    const owner = await statuses("s-free-403", [{}, {}, {}, {}]);
    expect(owner).toEqual([200, 200, 200, 429]);
  });
});
