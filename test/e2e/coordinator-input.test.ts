/**
 * Bad input sent straight to the coordinator, with the right secret: every
 * malformed decision, cancellation or inspection gets a 400 with a JSON
 * reason, and the coordinator keeps deciding valid requests afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";

let harness: Harness;
let origin: string;

beforeAll(async () => {
  harness = await startHarness({});
  origin = `http://127.0.0.1:${harness.topology.coordinator!.port}`;
});

afterAll(async () => {
  await harness?.stop();
});

const VALID_DECISION = {
  requestId: "0b0f4c1e-6a55-4a53-9a31-2f7f0c3c1a10",
  sessionId: "s-coordinator-input",
  ipAddress: "203.0.113.7",
  userAgent: "T/1",
};

function post(path: string, body: string): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: "POST",
    headers: { "x-coordinator-secret": harness.topology.secret },
    body,
  });
}

const BAD_DECISIONS: [string, string][] = [
  ["not JSON", "{"],
  ["an array", "[]"],
  ["null", "null"],
  ["missing fields", JSON.stringify({ sessionId: "s-1" })],
  ["a numeric session id", JSON.stringify({ ...VALID_DECISION, sessionId: 7 })],
  [
    "a session id of 300 characters",
    JSON.stringify({ ...VALID_DECISION, sessionId: "s".repeat(300) }),
  ],
  [
    "an address that is not one",
    JSON.stringify({ ...VALID_DECISION, ipAddress: "not-an-ip" }),
  ],
  [
    "a list of addresses",
    JSON.stringify({ ...VALID_DECISION, ipAddress: "203.0.113.7, 10.0.0.1" }),
  ],
  [
    "a non-canonical address",
    JSON.stringify({ ...VALID_DECISION, ipAddress: "::ffff:203.0.113.7" }),
  ],
  ["an empty User-Agent", JSON.stringify({ ...VALID_DECISION, userAgent: "" })],
  [
    "a User-Agent with a NUL",
    JSON.stringify({ ...VALID_DECISION, userAgent: "T/1\u0000x" }),
  ],
  [
    "a User-Agent of 600 characters",
    JSON.stringify({ ...VALID_DECISION, userAgent: "u".repeat(600) }),
  ],
  [
    "a request id of 1,000 characters",
    JSON.stringify({ ...VALID_DECISION, requestId: "r".repeat(1000) }),
  ],
  [
    "a request id with a newline",
    JSON.stringify({ ...VALID_DECISION, requestId: "r-1\nforged" }),
  ],
];

describe("coordinator input", () => {
  it.each(BAD_DECISIONS)("rejects a decision with %s", async (_, body) => {
    const response = await post("/v1/decide", body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { reason?: string };
    expect(json.reason).toBe("invalid_request");
  });

  it.each([
    ["not JSON", "{"],
    ["missing session id", JSON.stringify({ requestId: "r-1" })],
    [
      "a request id of 1,000 characters",
      JSON.stringify({ requestId: "r".repeat(1000), sessionId: "s-1" }),
    ],
  ])("rejects a cancellation with %s", async (_, body) => {
    const response = await post("/v1/cancel", body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { reason?: string };
    expect(json.reason).toBe("invalid_request");
  });

  it.each([
    ["too long", `/v1/sessions/${"s".repeat(300)}`],
    ["broken escapes", "/v1/sessions/%ZZ"],
    ["a space", "/v1/sessions/a%20b"],
  ])("rejects an inspection with an id %s", async (_, path) => {
    const response = await fetch(`${origin}${path}`, {
      headers: { "x-coordinator-secret": harness.topology.secret },
    });
    expect(response.status).toBe(400);
  });

  it("decides a valid request after the bad ones", async () => {
    const response = await post("/v1/decide", JSON.stringify(VALID_DECISION));
    expect(response.status).toBe(200);
    const decision = (await response.json()) as { admitted?: boolean };
    expect(decision.admitted).toBe(true);
  });
});
