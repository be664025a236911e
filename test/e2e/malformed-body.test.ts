/**
 * Broken request bodies that workerd passes to the worker: the edge returns
 * 400 `invalid_body` as JSON and consumes no quota.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness";
import { sendRawBytes } from "./raw-http";

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({});
});

afterAll(async () => {
  await harness?.stop();
});

function chunkedRequest(
  base: string,
  sessionId: string,
  framing: string,
): Buffer {
  const host = new URL(base).host;
  const head = [
    "POST /send HTTP/1.1",
    `host: ${host}`,
    `x-session-id: ${sessionId}`,
    "x-ip-address: 203.0.113.7",
    "user-agent: T/1",
    "transfer-encoding: chunked",
  ].join("\r\n");
  return Buffer.from(`${head}\r\n\r\n${framing}`, "latin1");
}

describe("malformed chunked bodies", () => {
  it.each([
    ["a chunk size that is not hex", "zz\r\nhello\r\n0\r\n\r\n"],
    ["a chunk extension", "5;foo=bar\r\nhello\r\n0\r\n\r\n"],
    ["a missing CRLF after the data", "5\r\nhelloXX0\r\n\r\n"],
  ])("answers 400 to %s", async (_label, framing) => {
    const response = await sendRawBytes(
      harness.a,
      chunkedRequest(harness.a, "s-malformed", framing),
    );
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  it("answers 400 JSON to a body cut short", async () => {
    const response = await sendRawBytes(
      harness.a,
      chunkedRequest(harness.a, "s-cut-short", "10\r\nonly-part"),
      { halfClose: true },
    );
    expect(response.status).toBe(400);
    expect(response.body.reason).toBe("invalid_body");
  });

  it("consumes no quota for broken bodies", async () => {
    await sendRawBytes(
      harness.b,
      chunkedRequest(harness.b, "s-broken", "zz\r\nx\r\n0\r\n\r\n"),
    );
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) {
      statuses.push(
        (await harness.send(harness.a, { sessionId: "s-broken" })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
