/**
 * The `/send` HTTP contract, through the real worker, service binding and
 * Durable Objects in the Workers runtime. Each test uses its own session ids.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

interface SendOptions {
  sessionId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  headers?: Record<string, string>;
  method?: string;
  body?: BodyInit | null;
  path?: string;
}

function send(options: SendOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const defaults: [string, string | null | undefined, string][] = [
    ["x-session-id", options.sessionId, "s-contract"],
    ["x-ip-address", options.ipAddress, "203.0.113.7"],
    ["user-agent", options.userAgent, "T/1"],
  ];
  for (const [name, value, fallback] of defaults) {
    if (value === null || headers.has(name)) continue;
    headers.set(name, value ?? fallback);
  }
  const method = options.method ?? "POST";
  return exports.default.fetch(`http://edge${options.path ?? "/send"}`, {
    method,
    headers,
    body:
      options.body === undefined
        ? method === "POST"
          ? "some words"
          : null
        : options.body,
  });
}

async function globalRemaining(sessionId: string): Promise<number> {
  const response = await send({ sessionId });
  expect(response.status).toBe(200);
  const body = await response.json<{
    limits: { global: { remaining: number } };
  }>();
  return body.limits.global.remaining;
}

describe("POST /send", () => {
  it("admits with a JSON body and RateLimit fields", async () => {
    const response = await send({ sessionId: "s-ok" });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit-policy")).toBe(
      '"session";q=5;w=60, "global";q=30;w=60',
    );
    expect(response.headers.get("ratelimit")).toMatch(
      /^"session";r=4;t=60, "global";r=\d+;t=\d+$/,
    );
    const body = await response.json<Record<string, unknown>>();
    expect(body.admitted).toBe(true);
    expect(typeof body.requestId).toBe("string");
    expect(typeof body.admittedAt).toBe("number");
  });

  it("rejects the sixth request with one integer Retry-After", async () => {
    for (let index = 0; index < 5; index++) {
      expect((await send({ sessionId: "s-ra" })).status).toBe(200);
    }
    const response = await send({ sessionId: "s-ra" });

    expect(response.status).toBe(429);
    const retryAfter = response.headers.get("retry-after") ?? "";
    expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect(retryAfter.includes(",")).toBe(false);
    expect(["59", "60"]).toContain(retryAfter);
    const body = await response.json<Record<string, unknown>>();
    expect(body.reason).toBe("session_limit");
    expect(body.retryAfterSeconds).toBe(Number(retryAfter));
    expect(response.headers.get("ratelimit")).toContain('"session";r=0;');
  });

  it("counts header names case-insensitively", async () => {
    const names = ["x-session-id", "X-Session-Id", "X-SESSION-ID"];
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      const name = names[index % names.length]!;
      const response = await send({
        sessionId: null,
        headers: { [name]: "s-case" },
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it.each([
    ["no session id", { sessionId: null }, "x-session-id"],
    ["an empty session id", { sessionId: "" }, "x-session-id"],
    ["a session id of spaces", { sessionId: "    " }, "x-session-id"],
    [
      "a 4,096-character session id",
      { sessionId: "a".repeat(4096) },
      "x-session-id",
    ],
    [
      "a session id with a space inside",
      { sessionId: "s bad" },
      "x-session-id",
    ],
    ["no address", { ipAddress: null }, "x-ip-address"],
    [
      "an address list",
      { ipAddress: "203.0.113.7, 198.51.100.9" },
      "x-ip-address",
    ],
    ["a garbage address", { ipAddress: "999.1.1.1" }, "x-ip-address"],
    ["no User-Agent", { userAgent: null }, "user-agent"],
    ["an empty User-Agent", { userAgent: "" }, "user-agent"],
  ])(
    "answers 400 naming the header for %s",
    async (_label, options, header) => {
      const response = await send(options as SendOptions);
      expect(response.status).toBe(400);
      const body = await response.json<Record<string, unknown>>();
      expect(body.admitted).toBe(false);
      expect(body.header).toBe(header);
      expect(String(body.message)).toContain(header);
    },
  );

  it("accepts a 256-character session id", async () => {
    expect((await send({ sessionId: "k".repeat(256) })).status).toBe(200);
  });

  it("consumes no quota for rejected input", async () => {
    const before = await globalRemaining("s-quota-probe-1");
    for (const options of [
      { sessionId: "" },
      { ipAddress: "nope" },
      { userAgent: null },
      { method: "GET" },
      { method: "HEAD" },
      { method: "OPTIONS" },
      { path: "/elsewhere" },
      { body: "x".repeat(20_000) },
    ] satisfies SendOptions[]) {
      const response = await send({ sessionId: "s-quota", ...options });
      expect(response.status).toBeGreaterThanOrEqual(204);
      expect(response.status).not.toBe(200);
    }
    const after = await globalRemaining("s-quota-probe-2");
    expect(after).toBe(before - 1);
  });

  it("answers 413 for a body over the limit", async () => {
    const response = await send({
      sessionId: "s-big",
      body: "x".repeat(16_385),
    });
    expect(response.status).toBe(413);
    const body = await response.json<Record<string, unknown>>();
    expect(body.reason).toBe("body_too_large");
  });

  it("answers 413 for a chunked body over the limit", async () => {
    const chunk = new TextEncoder().encode("y".repeat(4_096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const response = await send({ sessionId: "s-chunked", body: stream });
    expect(response.status).toBe(413);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])(
    "answers 405 to %s",
    async (method) => {
      const response = await send({
        sessionId: "s-method",
        method,
        body: null,
      });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST, OPTIONS");
    },
  );

  it("answers OPTIONS with the allowed methods", async () => {
    const response = await send({ method: "OPTIONS", body: null });
    expect(response.status).toBe(204);
    expect(response.headers.get("allow")).toBe("POST, OPTIONS");
    expect(response.headers.get("ratelimit-policy")).toContain('"session"');
  });

  it("answers 404 elsewhere", async () => {
    const response = await send({ path: "/nothing-here" });
    expect(response.status).toBe(404);
    const body = await response.json<Record<string, unknown>>();
    expect(body.reason).toBe("not_found");
  });
});

describe("health endpoints", () => {
  it("reports liveness and readiness", async () => {
    expect((await exports.default.fetch("http://edge/healthz")).status).toBe(
      200,
    );
    const ready = await exports.default.fetch("http://edge/readyz");
    expect(ready.status).toBe(200);
  });
});
