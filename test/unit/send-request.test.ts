import { describe, expect, it } from "vitest";
import { parseIpAddress } from "../../worker/ip-address";
import { validateSendHeaders } from "../../worker/send-request";

function headersOf(values: Record<string, string>): Headers {
  return new Headers({
    "x-session-id": "s-1",
    "x-ip-address": "203.0.113.7",
    "user-agent": "T/1",
    ...values,
  });
}

describe("parseIpAddress", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["::1", "::1"],
  ])("accepts %s as %s", (text, canonical) => {
    const result = parseIpAddress(text);
    expect(result.ok).toBe(true);
    expect(result.ok && result.address).toBe(canonical);
  });

  it.each([
    "203.0.113.7, 198.51.100.9",
    "256.1.1.1",
    "127.1",
    "0x7f.0.0.1",
    "010.0.0.1",
    "fe80::1%eth0",
    "1.2.3.4:80",
    "not-an-ip",
    "1".repeat(100),
  ])("rejects %s", (text) => {
    expect(parseIpAddress(text).ok).toBe(false);
  });
});

describe("validateSendHeaders", () => {
  it("accepts a well-formed request", () => {
    const result = validateSendHeaders(headersOf({}));
    expect(result.ok).toBe(true);
  });

  it.each([
    [{ "x-session-id": "" }, "x-session-id", "missing_header"],
    [{ "x-session-id": "   " }, "x-session-id", "missing_header"],
    [{ "x-session-id": "a".repeat(257) }, "x-session-id", "invalid_header"],
    [{ "x-session-id": "a b" }, "x-session-id", "invalid_header"],
    [{ "x-ip-address": "" }, "x-ip-address", "missing_header"],
    [{ "x-ip-address": "1.2.3.4, 5.6.7.8" }, "x-ip-address", "invalid_header"],
    [{ "user-agent": "" }, "user-agent", "missing_header"],
    [{ "user-agent": "x".repeat(513) }, "user-agent", "invalid_header"],
    [{ "user-agent": "T/1 \u00e9" }, "user-agent", "invalid_header"],
  ])("rejects %j as %s %s", (values, header, reason) => {
    const result = validateSendHeaders(headersOf(values));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem.header).toBe(header);
    expect(!result.ok && result.problem.reason).toBe(reason);
  });

  it("accepts a 256-character session id", () => {
    expect(
      validateSendHeaders(headersOf({ "x-session-id": "a".repeat(256) })).ok,
    ).toBe(true);
  });
});

describe("validateSendHeaders with a configured address header", () => {
  it("reads the address from the configured header only", () => {
    const headers = new Headers({
      "x-session-id": "s-1",
      "cf-connecting-ip": "198.51.100.9",
      "user-agent": "T/1",
    });
    const result = validateSendHeaders(headers, "cf-connecting-ip");
    expect(result.ok && result.identity.ipAddress).toBe("198.51.100.9");

    const missing = validateSendHeaders(headersOf({}), "cf-connecting-ip");
    expect(!missing.ok && missing.problem.header).toBe("cf-connecting-ip");
  });
});
