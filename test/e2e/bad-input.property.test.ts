/**
 * Property-based checks of the edge against arbitrary input in the real
 * topology. No input gets a 5xx. Every rejection is a JSON body with
 * `admitted: false` and a string `reason`. Only admitted requests consume
 * quota, and the coordinator rejects callers without its secret.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startHarness,
  type Harness,
  type SendOptions,
  type SentResponse,
} from "./harness";
import { sendOverSocket } from "./raw-http";

// Windows of 10 minutes, so no admission expires while the file runs and a
// drop in `remaining` is only what the requests of one run consumed.
const SETTINGS = {
  GLOBAL_LIMIT: "100000",
  GLOBAL_WINDOW_SECONDS: "600",
  SESSION_LIMIT: "5",
  SESSION_WINDOW_SECONDS: "600",
};
// Control characters other than tab. Node's fetch rejects them in header
// values, so requests that carry them go over a raw socket. NUL, CR and LF
// are left out because workerd's HTTP parser rejects them with a plain-text
// 400 before the worker runs.
const CONTROL_CHARACTERS = [
  ...Array.from({ length: 31 }, (_, code) => code + 1),
  127,
]
  .filter((code) => code !== 9 && code !== 10 && code !== 13)
  .map((code) => String.fromCharCode(code));

/** One generated request and the client that sends it. */
interface RequestCase {
  transport: "fetch" | "socket";
  options: SendOptions;
}

let harness: Harness;
let probeCount = 0;
let sessionCount = 0;

beforeAll(async () => {
  harness = await startHarness(SETTINGS);
});

afterAll(async () => {
  await harness?.stop();
});

/** Encodes text as UTF-8 and spells each byte as one Latin-1 character. */
function toLatin1Bytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/**
 * Sends a generated request, alternating between backends A and B. The
 * default session id is a fresh one, so only a generated override can reach
 * a session's limit. The socket client chunks bodies of odd length.
 */
function sendCase(requestCase: RequestCase): Promise<SentResponse> {
  sessionCount++;
  const options = { sessionId: `s-${sessionCount}`, ...requestCase.options };
  const base = sessionCount % 2 === 0 ? harness.a : harness.b;
  if (requestCase.transport === "fetch") return harness.send(base, options);
  return sendOverSocket(base, options, (options.body?.length ?? 0) % 2 === 1);
}

/** Sends a valid request for a fresh session and returns its global remaining. */
async function probeGlobalRemaining(): Promise<number> {
  probeCount++;
  const response = await harness.send(harness.a, {
    sessionId: `probe-${probeCount}`,
    ipAddress: "192.0.2.10",
    userAgent: "probe/1",
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const limits = response.body.limits as { global: { remaining: number } };
  return limits.global.remaining;
}

// Shared ids meet sessions that are already full (429) or owned by another
// client (403). Fresh sessions come from the default in sendCase.
const validSessionId = fc.oneof(
  { arbitrary: fc.constantFrom("shared-1", "shared-2", "shared-3"), weight: 1 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9._~:+/=-]{1,12}$/), weight: 2 },
);
const validIpAddress = fc.oneof(
  { arbitrary: fc.constant("203.0.113.7"), weight: 2 },
  { arbitrary: fc.oneof(fc.ipV4(), fc.ipV6()), weight: 2 },
  {
    arbitrary: fc.constantFrom("::ffff:203.0.113.7", "2001:DB8::1"),
    weight: 1,
  },
);
const validUserAgent = fc.oneof(
  { arbitrary: fc.constant("T/1"), weight: 1 },
  { arbitrary: fc.stringMatching(/^[!-~][ -~]{0,60}$/), weight: 1 },
);
const fetchSafeValue = fc.oneof(
  validSessionId,
  fc.ipV4Extended(),
  fc.constantFrom("", "   ", "\t", "fe80::1%eth0", "[::1]:80", "1.2.3.4:80"),
  fc
    .constantFrom(64, 65, 255, 256, 257, 512, 513, 8192, 16384)
    .map((n) => "a".repeat(n)),
  fc.tuple(validIpAddress, validIpAddress).map(([a, b]) => `${a}, ${b}`),
  // Any Unicode text, sent as its UTF-8 bytes. Fetch rejects control bytes.
  fc
    .string({ unit: "binary", maxLength: 30 })
    .map(toLatin1Bytes)
    .filter((text) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(text)),
);
const socketValue = fc.oneof(
  fetchSafeValue,
  fc
    .tuple(validUserAgent, fc.constantFrom(...CONTROL_CHARACTERS), fc.nat())
    .map(([text, control, at]) => {
      const index = at % (text.length + 1);
      return text.slice(0, index) + control + text.slice(index);
    }),
);
// NOTE: workerd returns 501 (plain text) for a method it does not know, such
// as FOO, and 500 for CONNECT before the worker runs, so neither is generated.
const method = fc.oneof(
  { arbitrary: fc.constant("POST"), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      ...["GET", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"],
    ),
    weight: 4,
  },
);
const path = fc.oneof(
  { arbitrary: fc.constant("/send"), weight: 8 },
  {
    arbitrary: fc.constantFrom(
      ...["/send/", "/SEND", "/%73end", "/send%2f", "//send", "/send?x=%00"],
      ...["/healthz", "/", "/v1/decide"],
    ),
    weight: 1,
  },
  {
    arbitrary: fc.webPath().map((webPath) => `/${webPath.replace(/^\/+/, "")}`),
    weight: 1,
  },
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 64 }),
  fc.constantFrom(16_383, 16_384, 16_385, 70_000).map((n) => "b".repeat(n)),
);

/** Picks a valid value three times in four, so later checks are reached. */
function mostlyValid(
  valid: fc.Arbitrary<string>,
  hostile: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: hostile, weight: 1 },
  );
}

/**
 * Header overrides. A key left out keeps the harness default, and a second
 * spelling of x-session-id makes the client send the header twice.
 */
function headerOverrides(
  hostile: fc.Arbitrary<string>,
): fc.Arbitrary<Record<string, string>> {
  return fc
    .record({
      "x-session-id": fc.option(mostlyValid(validSessionId, hostile)),
      "x-ip-address": fc.option(mostlyValid(validIpAddress, hostile)),
      "user-agent": fc.option(mostlyValid(validUserAgent, hostile)),
      "X-Session-Id": fc.oneof(
        { arbitrary: fc.constant(null), weight: 9 },
        { arbitrary: fc.oneof(validSessionId, hostile), weight: 1 },
      ),
    })
    .map((record) =>
      Object.fromEntries(
        Object.entries(record).filter(
          (entry): entry is [string, string] => entry[1] !== null,
        ),
      ),
    );
}

function toRequestCase(
  transport: RequestCase["transport"],
  [headers, chosenMethod, chosenPath, chosenBody]: [
    Record<string, string>,
    string,
    string,
    string | undefined,
  ],
): RequestCase {
  // Fetch sends no body with GET or HEAD, but the socket client sends one.
  const bodyless = chosenMethod === "GET" || chosenMethod === "HEAD";
  return {
    transport,
    options: {
      method: chosenMethod,
      path: chosenPath,
      headers,
      body: bodyless && transport === "fetch" ? undefined : (chosenBody ?? ""),
    },
  };
}

// One session always sent with the harness's default client, so after five
// admissions its requests get 429 session_limit.
const fullSessionCase = fc.constantFrom<RequestCase>(
  { transport: "fetch", options: { sessionId: "s-full" } },
  { transport: "socket", options: { sessionId: "s-full" } },
);

const requestCase: fc.Arbitrary<RequestCase> = fc.oneof(
  {
    arbitrary: fc
      .tuple(headerOverrides(fetchSafeValue), method, path, body)
      .map((parts) => toRequestCase("fetch", parts)),
    weight: 5,
  },
  {
    arbitrary: fc
      .tuple(headerOverrides(socketValue), method, path, body)
      .map((parts) => toRequestCase("socket", parts)),
    weight: 5,
  },
  { arbitrary: fullSessionCase, weight: 1 },
);

/** Checks the contract of every response, whatever the request. */
function expectWellFormed(
  requestCase: RequestCase,
  response: SentResponse,
): void {
  const context = JSON.stringify({ requestCase, response });
  expect(response.status, context).toBeLessThan(500);
  if (response.status < 300 || requestCase.options.method === "HEAD") return;
  expect(response.headers.get("content-type"), context).toContain(
    "application/json",
  );
  expect(response.body.admitted, context).toBe(false);
  expect(typeof response.body.reason, context).toBe("string");
}

describe("the edge under arbitrary input", () => {
  it("rejects with a JSON reason, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(requestCase, async (generated) => {
        expectWellFormed(generated, await sendCase(generated));
      }),
      { numRuns: 200 },
    );
  });

  it("consumes quota only when admitting", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestCase, { minLength: 1, maxLength: 6 }),
        async (batch) => {
          const before = await probeGlobalRemaining();
          let admitted = 0;
          for (const generated of batch) {
            const response = await sendCase(generated);
            expectWellFormed(generated, response);
            if (response.body.admitted === true) admitted++;
          }
          // The second probe is admitted too, so it takes one more slot.
          expect(await probeGlobalRemaining()).toBe(before - admitted - 1);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("the coordinator secret", () => {
  it("returns 401 for a missing or wrong secret", async () => {
    const { topology } = harness;
    const origin = `http://${topology.host}:${topology.coordinator!.port}`;
    const wrongSecret = fc.oneof(
      fc.string({ unit: "binary-ascii", maxLength: 80 }),
      fc.constantFrom(
        topology.secret.slice(0, -1),
        `${topology.secret}0`,
        topology.secret.toUpperCase(),
      ),
    );
    const route = fc.constantFrom("/v1/ready", "/v1/decide", "/");
    const decideBody = JSON.stringify({
      requestId: "r-1",
      sessionId: "s-coordinator-direct",
      ipAddress: "203.0.113.7",
      userAgent: "T/1",
    });

    const before = await probeGlobalRemaining();
    expect((await fetch(`${origin}/v1/ready`)).status).toBe(401);
    await fc.assert(
      fc.asyncProperty(wrongSecret, route, async (secret, routePath) => {
        // Fetch trims header values and rejects control bytes, so compare
        // the secret as the coordinator will receive it.
        fc.pre(/^[\x20-\x7e]*$/.test(secret));
        fc.pre(secret.trim() !== topology.secret);
        const post = routePath === "/v1/decide";
        const response = await fetch(`${origin}${routePath}`, {
          method: post ? "POST" : "GET",
          headers: { "x-coordinator-secret": secret },
          body: post ? decideBody : undefined,
        });
        expect(response.status).toBe(401);
      }),
      { numRuns: 50 },
    );
    expect(await probeGlobalRemaining()).toBe(before - 1);

    const ready = await fetch(`${origin}/v1/ready`, {
      headers: { "x-coordinator-secret": topology.secret },
    });
    expect(ready.status).toBe(200);
  });
});
