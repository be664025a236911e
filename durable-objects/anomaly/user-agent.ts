import Bowser from "bowser";

/** Client details parsed from a User-Agent by bowser. */
export interface UserAgentProfile {
  /** The exact header value. */
  raw: string;
  browser: string;
  os: string;
  platform: string;
}

/** Parses a User-Agent into browser family, operating system and platform. */
export function profileUserAgent(raw: string): UserAgentProfile {
  const parsed = Bowser.parse(raw);
  return {
    raw,
    browser: parsed.browser.name ?? "",
    os: parsed.os.name ?? "",
    platform: parsed.platform.type ?? "",
  };
}

/**
 * Tells whether two different User-Agents plausibly come from one client
 * after an update: a recognised browser family, operating system and platform
 * that all match, so only versions or device details differ. Unrecognised
 * strings never qualify, so they must match exactly.
 */
export function isSameClientFamily(
  left: UserAgentProfile,
  right: UserAgentProfile,
): boolean {
  if (!left.browser || !left.os || !left.platform) return false;
  return (
    left.browser === right.browser &&
    left.os === right.os &&
    left.platform === right.platform
  );
}

/** Describes a profile for people, e.g. "Chrome on Android (mobile)". */
export function describeUserAgent(profile: UserAgentProfile): string {
  if (!profile.browser) return "an unrecognised client";
  const os = profile.os ? ` on ${profile.os}` : "";
  const platform = profile.platform ? ` (${profile.platform})` : "";
  return `${profile.browser}${os}${platform}`;
}
