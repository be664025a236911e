import ipaddr from "ipaddr.js";
import {
  describeUserAgent,
  isSameClientFamily,
  profileUserAgent,
  type UserAgentProfile,
} from "./user-agent";

/** Prefix lengths that define "the same network" for each address family. */
export interface NetworkPrefixes {
  /** @default 24 */
  ipv4: number;
  /** @default 64 */
  ipv6: number;
}

/** The identity a request presents: its address and its User-Agent. */
export interface Fingerprint {
  /** Canonical address text; IPv4-mapped IPv6 is already IPv4. */
  ip: string;
  /** The address's network in CIDR form, e.g. "203.0.113.0/24". */
  network: string;
  userAgent: UserAgentProfile;
}

/**
 * Relation of a request's fingerprint to the session owner's:
 * - `same`: same address and User-Agent;
 * - `same_network`: another address in the owner's network, same User-Agent;
 * - `client_update`: same address, a User-Agent of the same browser and OS;
 * - `foreign`: anything else (another network, another client, or both).
 */
export type FingerprintMatch =
  "same" | "same_network" | "client_update" | "foreign";

/** Builds the fingerprint of one request. `ip` must be canonical. */
export function toFingerprint(
  ip: string,
  userAgent: string,
  prefixes: NetworkPrefixes,
): Fingerprint {
  const isIpv4 = ipaddr.parse(ip).kind() === "ipv4";
  const prefix = isIpv4 ? prefixes.ipv4 : prefixes.ipv6;
  const base = isIpv4
    ? ipaddr.IPv4.networkAddressFromCIDR(`${ip}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${ip}/${prefix}`);
  return {
    ip,
    network: `${base.toString()}/${prefix}`,
    userAgent: profileUserAgent(userAgent),
  };
}

/** Compares a request's fingerprint with the owner's. */
export function matchFingerprint(
  owner: Fingerprint,
  seen: Fingerprint,
): FingerprintMatch {
  const sameAgent = owner.userAgent.raw === seen.userAgent.raw;
  if (owner.ip === seen.ip && sameAgent) return "same";
  if (owner.network === seen.network && sameAgent) return "same_network";
  if (
    owner.ip === seen.ip &&
    isSameClientFamily(owner.userAgent, seen.userAgent)
  ) {
    return "client_update";
  }
  return "foreign";
}

/** Tells whether two fingerprints are the same identity for ownership. */
export function isSameIdentity(left: Fingerprint, right: Fingerprint): boolean {
  return matchFingerprint(left, right) !== "foreign";
}

/** Explains a foreign match in one sentence, for the 403 body and logs. */
export function explainMismatch(owner: Fingerprint, seen: Fingerprint): string {
  const changes: string[] = [];
  if (owner.network !== seen.network) {
    changes.push(
      `address ${seen.ip} is outside the owner's network ${owner.network}`,
    );
  } else if (owner.ip !== seen.ip) {
    changes.push(`address ${seen.ip} differs from the owner's ${owner.ip}`);
  }
  if (owner.userAgent.raw !== seen.userAgent.raw) {
    changes.push(
      `User-Agent (${describeUserAgent(seen.userAgent)}) differs from the owner's (${describeUserAgent(owner.userAgent)})`,
    );
  }
  return `this session belongs to another client: ${changes.join(" and ")}`;
}
