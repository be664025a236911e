import { parseIpAddress } from "./ip-address";
import { isValidSessionId, MAX_SESSION_ID_LENGTH } from "./session-id";

/** Longest accepted User-Agent, in characters. */
export const MAX_USER_AGENT_LENGTH = 512;

/** The validated identity of one `/send` request. */
export interface SendIdentity {
  sessionId: string;
  ipAddress: string;
  userAgent: string;
}

export interface InvalidHeader {
  /** Lower-case name of the offending header. */
  header: string;
  reason: "missing_header" | "invalid_header";
  message: string;
}

export type SendValidation =
  { ok: true; identity: SendIdentity } | { ok: false; problem: InvalidHeader };

// Printable ASCII and spaces only: no control characters reach logs or storage.
const PRINTABLE_PATTERN = /^[\x20-\x7e]+$/;

/**
 * Returns why a non-empty User-Agent is unacceptable, or undefined if it is
 * acceptable.
 */
export function findUserAgentProblem(userAgent: string): string | undefined {
  if (userAgent.length > MAX_USER_AGENT_LENGTH) {
    return `longer than ${MAX_USER_AGENT_LENGTH} characters`;
  }
  if (!PRINTABLE_PATTERN.test(userAgent)) {
    return "contains characters outside printable ASCII";
  }
  return undefined;
}

function missing(header: string): SendValidation {
  return {
    ok: false,
    problem: {
      header,
      reason: "missing_header",
      message: `the ${header} header is missing or empty`,
    },
  };
}

function invalid(header: string, detail: string): SendValidation {
  return {
    ok: false,
    problem: {
      header,
      reason: "invalid_header",
      message: `the ${header} header is invalid: ${detail}`,
    },
  };
}

/**
 * Validates the identity headers of a `/send` request. Header names are
 * case-insensitive (the Headers object folds them). A value of only spaces
 * counts as missing, so no request can fall into a shared "" bucket. The
 * client address is read from `ipHeader`, x-ip-address unless configured.
 */
export function validateSendHeaders(
  headers: Headers,
  ipHeader = "x-ip-address",
): SendValidation {
  const sessionId = headers.get("x-session-id")?.trim() ?? "";
  if (sessionId === "") return missing("x-session-id");
  if (!isValidSessionId(sessionId)) {
    return invalid(
      "x-session-id",
      `use 1-${MAX_SESSION_ID_LENGTH} characters from A-Z a-z 0-9 . _ ~ : + / = -`,
    );
  }

  const ipText = headers.get(ipHeader)?.trim() ?? "";
  if (ipText === "") return missing(ipHeader);
  const ip = parseIpAddress(ipText);
  if (!ip.ok) return invalid(ipHeader, ip.problem);

  const userAgent = headers.get("user-agent")?.trim() ?? "";
  if (userAgent === "") return missing("user-agent");
  const userAgentProblem = findUserAgentProblem(userAgent);
  if (userAgentProblem) return invalid("user-agent", userAgentProblem);

  return {
    ok: true,
    identity: { sessionId, ipAddress: ip.address, userAgent },
  };
}
