import { describe, expect, it } from "vitest";
import {
  toFingerprint,
  matchFingerprint,
} from "../../durable-objects/anomaly/fingerprint";
import {
  assessRequest,
  anomalyStateExpiresAt,
  type AnomalyPolicy,
  type AnomalyState,
  type AnomalyVerdict,
} from "../../durable-objects/anomaly/session-anomaly";

const PREFIXES = { ipv4: 24, ipv6: 64 };
const POLICY: AnomalyPolicy = {
  riskPeriodMs: 600_000,
  quarantineMs: 900_000,
  quarantineMinForeign: 5,
  quarantineForeignPercent: 20,
  ownerConfirmations: 2,
  maxCandidates: 3,
};
const CHROME_ANDROID_A =
  "Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/112.0.0.0 Mobile Safari/537.36";
const CHROME_ANDROID_B =
  "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Mobile Safari/537.36";
const WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)";

function fingerprint(ip: string, userAgent = "T/1") {
  return toFingerprint(ip, userAgent, PREFIXES);
}

/** Feeds requests in order, one second apart, and returns every verdict. */
function replay(
  requests: [string, string?][],
  policy = POLICY,
  start?: AnomalyState,
): { state: AnomalyState; verdicts: AnomalyVerdict[] } {
  let state = start;
  const verdicts: AnomalyVerdict[] = [];
  requests.forEach(([ip, userAgent], index) => {
    const result = assessRequest(
      state,
      fingerprint(ip, userAgent),
      1_000 * (index + 1),
      policy,
    );
    state = result.state;
    verdicts.push(result.verdict);
  });
  return { state: state!, verdicts };
}

function blocked(verdicts: AnomalyVerdict[]): boolean[] {
  return verdicts.map((verdict) => verdict.blocked);
}

describe("matchFingerprint", () => {
  it("groups IPv4 addresses by /24", () => {
    expect(fingerprint("203.0.113.7").network).toBe("203.0.113.0/24");
    expect(
      matchFingerprint(fingerprint("203.0.113.7"), fingerprint("203.0.113.7")),
    ).toBe("same");
  });

  it("groups IPv6 addresses by /64", () => {
    const owner = fingerprint("2001:db8:1:2::10");
    expect(matchFingerprint(owner, fingerprint("2001:db8:1:2::99"))).toBe(
      "same_network",
    );
    expect(matchFingerprint(owner, fingerprint("2001:db8:1:3::10"))).toBe(
      "foreign",
    );
  });

  it("accepts a browser update on the same address", () => {
    const owner = fingerprint("203.0.113.7", CHROME_ANDROID_A);
    expect(
      matchFingerprint(owner, fingerprint("203.0.113.7", CHROME_ANDROID_B)),
    ).toBe("client_update");
    expect(matchFingerprint(owner, fingerprint("203.0.113.7", WINDOWS))).toBe(
      "foreign",
    );
  });

  it("never treats unparsed User-Agents as one family", () => {
    const owner = fingerprint("203.0.113.7", "T/1");
    expect(matchFingerprint(owner, fingerprint("203.0.113.7", "T/1 (X)"))).toBe(
      "foreign",
    );
  });

  it("calls a network change plus a browser update foreign", () => {
    const owner = fingerprint("203.0.113.7", CHROME_ANDROID_A);
    expect(
      matchFingerprint(owner, fingerprint("198.51.100.9", CHROME_ANDROID_B)),
    ).toBe("foreign");
  });
});

describe("assessRequest", () => {
  it("confirms the owner after a recurring fingerprint", () => {
    const { state, verdicts } = replay([["203.0.113.7"], ["203.0.113.7"]]);
    expect(blocked(verdicts)).toEqual([false, false]);
    expect(state.owner?.ip).toBe("203.0.113.7");
  });

  it("admits address churn inside the owner's /24", () => {
    const { verdicts } = replay([
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["203.0.113.8"],
      ["203.0.113.200"],
      ["203.0.113.7"],
    ]);
    expect(blocked(verdicts)).toEqual([false, false, false, false, false]);
    expect(verdicts[2]).toEqual({ blocked: false, match: "same_network" });
  });

  it("blocks a User-Agent change alone", () => {
    const { verdicts } = replay([
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["203.0.113.7", "T/1 (X)"],
    ]);
    expect(verdicts[2]).toMatchObject({
      blocked: true,
      reason: "fingerprint_mismatch",
    });
  });

  it("blocks an address change to another network", () => {
    const { verdicts } = replay([
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["198.51.100.9"],
    ]);
    expect(verdicts[2]).toMatchObject({
      blocked: true,
      reason: "fingerprint_mismatch",
    });
    const explanation = verdicts[2]!.blocked ? verdicts[2]!.explanation : "";
    expect(explanation).toContain("198.51.100.9");
    expect(explanation).toContain("203.0.113.0/24");
  });

  it("does not lock out the owner after a foreign first request", () => {
    const { state, verdicts } = replay([
      ["198.51.100.9", "T/2"],
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["198.51.100.9", "T/2"],
    ]);
    // The owner loses its first request, then takes over the session.
    expect(blocked(verdicts)).toEqual([false, true, false, false, true]);
    expect(state.owner?.ip).toBe("203.0.113.7");
  });

  it("never lets a one-off foreign fingerprint replace the owner", () => {
    const { state, verdicts } = replay([
      ["203.0.113.7"],
      ["203.0.113.7"],
      ["198.51.100.9", "T/1 (X)"],
      ["203.0.113.7"],
      ["198.51.100.9", "T/1 (X)"],
    ]);
    expect(blocked(verdicts)).toEqual([false, false, true, false, true]);
    expect(state.owner?.userAgent.raw).toBe("T/1");
  });

  it("blocks other clients while the owner is unconfirmed", () => {
    const { state, verdicts } = replay([
      ["198.51.100.1", "A/1"],
      ["198.51.100.2", "B/1"],
      ["198.51.100.3", "C/1"],
      ["198.51.100.4", "D/1"],
      ["198.51.100.1", "A/1"],
    ]);
    expect(blocked(verdicts)).toEqual([false, true, true, true, false]);
    expect(state.owner?.ip).toBe("198.51.100.1");
  });

  it("remembers a bounded number of unconfirmed clients", () => {
    const requests: [string, string?][] = [];
    for (let index = 0; index < 50; index++)
      requests.push([`198.51.${index}.1`, `C/${index}`]);
    const { state } = replay(requests);
    expect(state.candidates.length).toBeLessThanOrEqual(POLICY.maxCandidates);
  });

  it("quarantines a session with mostly foreign requests", () => {
    const requests: [string, string?][] = [["203.0.113.7"], ["203.0.113.7"]];
    for (let index = 0; index < 5; index++)
      requests.push([`198.51.100.${index + 1}`, "X/1"]);
    const { state, verdicts } = replay(requests);

    expect(verdicts[6]).toMatchObject({
      blocked: true,
      reason: "fingerprint_mismatch",
    });
    expect(state.quarantinedUntilMs).toBe(7_000 + POLICY.quarantineMs);

    const owner = assessRequest(
      state,
      fingerprint("203.0.113.7"),
      8_000,
      POLICY,
    );
    expect(owner.verdict).toMatchObject({
      blocked: true,
      reason: "session_quarantined",
    });
  });

  it("releases the quarantine after its period", () => {
    const requests: [string, string?][] = [["203.0.113.7"], ["203.0.113.7"]];
    for (let index = 0; index < 5; index++)
      requests.push([`198.51.100.${index + 1}`, "X/1"]);
    const { state } = replay(requests);

    const releasedAt = state.quarantinedUntilMs! + 1;
    const owner = assessRequest(
      state,
      fingerprint("203.0.113.7"),
      releasedAt,
      POLICY,
    );
    expect(owner.verdict).toEqual({ blocked: false, match: "same" });
    expect(owner.state.quarantinedUntilMs).toBeUndefined();
  });

  it("does not quarantine a busy owner with rare foreign requests", () => {
    const requests: [string, string?][] = [];
    for (let index = 0; index < 200; index++) {
      requests.push(
        index % 25 === 24
          ? [`198.51.100.${index % 250}`, "X/1"]
          : ["203.0.113.7"],
      );
    }
    const { state, verdicts } = replay(requests);
    expect(state.quarantinedUntilMs).toBeUndefined();
    expect(verdicts.filter((verdict) => verdict.blocked)).toHaveLength(8);
  });

  it("does not extend a quarantine by requests during it", () => {
    const requests: [string, string?][] = [["203.0.113.7"], ["203.0.113.7"]];
    for (let index = 0; index < 5; index++)
      requests.push([`198.51.100.${index + 1}`, "X/1"]);
    const { state } = replay(requests);
    const until = state.quarantinedUntilMs;

    let current = state;
    for (let index = 0; index < 10; index++) {
      current = assessRequest(
        current,
        fingerprint("198.51.100.50", "X/1"),
        10_000 + index,
        POLICY,
      ).state;
    }
    expect(current.quarantinedUntilMs).toBe(until);
  });

  it("forgets foreign requests older than the risk period", () => {
    const policy = { ...POLICY, riskPeriodMs: 10_000 };
    const requests: [string, string?][] = [["203.0.113.7"], ["203.0.113.7"]];
    for (let index = 0; index < 4; index++)
      requests.push([`198.51.100.${index + 1}`, "X/1"]);
    const { state } = replay(requests, policy);

    const later = assessRequest(
      state,
      fingerprint("198.51.100.77", "X/1"),
      60_000,
      policy,
    );
    expect(later.verdict).toMatchObject({
      blocked: true,
      reason: "fingerprint_mismatch",
    });
    expect(later.state.quarantinedUntilMs).toBeUndefined();
  });

  it("expires state after the risk period or the quarantine", () => {
    const { state } = replay([["203.0.113.7"], ["203.0.113.7"]]);
    expect(anomalyStateExpiresAt(state, POLICY)).toBe(
      2_000 + POLICY.riskPeriodMs,
    );
  });
});
