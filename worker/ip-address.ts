import ipaddr from "ipaddr.js";

/** Longest `x-ip-address` value parsed; longer values are rejected unread. */
const MAX_IP_TEXT_LENGTH = 64;

export type IpParseResult =
  | { ok: true; address: string; kind: "ipv4" | "ipv6" }
  | { ok: false; problem: string };

/**
 * Parses one IPv4 or IPv6 address and returns its canonical text. An
 * IPv4-mapped IPv6 address becomes its IPv4 form, so both spellings of one
 * client compare equal. Lists, ports, zone ids and the shorthand IPv4 forms
 * that `inet_aton` accepts ("127.1", "0x7f.0.0.1") are rejected.
 */
export function parseIpAddress(text: string): IpParseResult {
  if (text.length > MAX_IP_TEXT_LENGTH) {
    return {
      ok: false,
      problem: `longer than ${MAX_IP_TEXT_LENGTH} characters`,
    };
  }
  if (text.includes(",")) {
    return { ok: false, problem: "a list of addresses; send exactly one" };
  }
  if (text.includes("%")) {
    return { ok: false, problem: "zone ids are not accepted" };
  }

  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    parsed = ipaddr.IPv4.parse(text);
  } else if (text.includes(":") && ipaddr.IPv6.isValid(text)) {
    parsed = ipaddr.IPv6.parse(text);
    if (parsed.isIPv4MappedAddress()) parsed = parsed.toIPv4Address();
  } else {
    return { ok: false, problem: "not an IPv4 or IPv6 address" };
  }

  return { ok: true, address: parsed.toString(), kind: parsed.kind() };
}
