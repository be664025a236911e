/**
 * In-process tests of the retry loop against a tiny loopback server that
 * always responds with 429, with a short request deadline.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestPlan } from "../../simulator/request-plan.ts";
import { createSeededRandom } from "../../simulator/seeded-random.ts";
import { sendRequestWithRetries } from "../../simulator/send-request.ts";

interface ReceivedRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server | undefined;

async function startServer(
  status: number,
  headers: Record<string, string>,
  body: object,
): Promise<{ url: string; received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  server = createServer(async (request, response) => {
    let text = "";
    for await (const chunk of request) {
      text += String(chunk);
    }
    received.push({ headers: request.headers, body: text });
    response.writeHead(status, {
      "content-type": "application/json",
      ...headers,
    });
    response.end(JSON.stringify(body));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received };
}

afterEach(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
    server = undefined;
  }
});

const PLAN: RequestPlan = {
  user: {
    sessionId: "abcdefghij",
    ipAddress: "10.1.2.3",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
    score: 10,
  },
  isNewUser: true,
  fingerprint: {
    ipAddress: "10.9.9.9",
    userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
    anomalous: true,
    foreign: true,
  },
  bodyText: "hello world",
};

const RATE_LIMITED_BODY = {
  admitted: false,
  reason: "session_limit",
  retryAfterSeconds: 1,
};

describe("sendRequestWithRetries", () => {
  it("sends the client's headers and body", async () => {
    const { url, received } = await startServer(
      200,
      { "x-anomaly-verdict": "would_block" },
      { admitted: true, requestId: "r1", admittedAt: 1234 },
    );
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: false,
      stopSignal: new AbortController().signal,
    });
    expect(request.outcome).toBe("admitted");
    expect(request.foreign).toBe(true);
    expect(request.attempts[0]!.admittedAtMs).toBe(1234);
    expect(request.attempts[0]!.wouldBlock).toBe(true);
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toBe("hello world");
    expect(received[0]!.headers["x-session-id"]).toBe("abcdefghij");
    expect(received[0]!.headers["x-ip-address"]).toBe("10.9.9.9");
    expect(received[0]!.headers["user-agent"]).toBe(
      "Mozilla/5.0 (X11; Linux x86_64)",
    );
    expect(received[0]!.headers["content-type"]).toBeUndefined();
  });

  it("gives up when Retry-After passes the deadline", async () => {
    const { url, received } = await startServer(
      429,
      { "retry-after": "0.3" },
      RATE_LIMITED_BODY,
    );
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: false,
      stopSignal: new AbortController().signal,
      requestDeadlineMs: 500,
    });
    // 429 at ~0 ms, wait to ~300 ms; 429 again, and 600 ms > 500 ms.
    expect(request.outcome).toBe("gave_up");
    expect(request.attempts.map((attempt) => attempt.kind)).toEqual([
      "rate_limited",
      "rate_limited",
    ]);
    expect(request.attempts[0]!.retryAfterSeconds).toBe(0.3);
    expect(received).toHaveLength(2);
  });

  it("fails after sleeping past the deadline with client defects", async () => {
    const { url, received } = await startServer(
      429,
      { "retry-after": "0.3" },
      RATE_LIMITED_BODY,
    );
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: true,
      stopSignal: new AbortController().signal,
      requestDeadlineMs: 500,
    });
    // The second sleep ends at ~600 ms, so the third attempt never leaves.
    expect(request.outcome).toBe("deadline_exceeded");
    expect(request.attempts.map((attempt) => attempt.kind)).toEqual([
      "rate_limited",
      "rate_limited",
      "deadline_exceeded",
    ]);
    expect(received).toHaveLength(2);
  });

  it("stops after three 429s that fit the deadline", async () => {
    const { url, received } = await startServer(
      429,
      { "retry-after": "0.05" },
      RATE_LIMITED_BODY,
    );
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: false,
      stopSignal: new AbortController().signal,
    });
    expect(request.outcome).toBe("exhausted");
    expect(request.attempts).toHaveLength(3);
    expect(received).toHaveLength(3);
  });

  it("does not retry a 403", async () => {
    const { url, received } = await startServer(
      403,
      {},
      {
        admitted: false,
        reason: "session_quarantined",
      },
    );
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: false,
      stopSignal: new AbortController().signal,
    });
    expect(request.outcome).toBe("blocked");
    expect(request.attempts[0]!.reason).toBe("session_quarantined");
    expect(received).toHaveLength(1);
  });

  it("records a refused connection as a network error", async () => {
    const { url } = await startServer(200, {}, {});
    server!.closeAllConnections();
    server!.close();
    await once(server!, "close");
    server = undefined;
    const request = await sendRequestWithRetries(PLAN, {
      clientIndex: 0,
      serverUrls: [url],
      random: createSeededRandom(1),
      clientDefects: false,
      stopSignal: new AbortController().signal,
    });
    expect(request.outcome).toBe("network_error");
    expect(request.attempts[0]!.status).toBeNull();
    expect(request.attempts[0]!.errorMessage).not.toBeNull();
  });
});
