import { describe, expect, it } from "vitest";
import {
  countAttemptForProgress,
  createProgressCounters,
  formatProgressLine,
} from "../../simulator/progress-line.ts";
import type {
  AttemptKind,
  AttemptRecord,
} from "../../simulator/traffic-records.ts";

function makeAttempt(kind: AttemptKind): AttemptRecord {
  return {
    attemptIndex: 0,
    serverUrl: "http://127.0.0.1:8080",
    kind,
    status: null,
    reason: null,
    admittedAtMs: null,
    receivedAtMs: 0,
    retryAfterSeconds: null,
    wouldBlock: false,
    errorMessage: null,
  };
}

describe("formatProgressLine", () => {
  it("shows elapsed time and counters", () => {
    const counters = createProgressCounters();
    const kinds: AttemptKind[] = [
      "admitted",
      "rate_limited",
      "rate_limited",
      "blocked",
      "server_error",
      "network_error",
      "deadline_exceeded",
      "rejected",
      "cancelled",
    ];
    for (const kind of kinds) {
      countAttemptForProgress(counters, makeAttempt(kind));
    }
    expect(formatProgressLine(12_999, counters)).toBe(
      "elapsed 12 s  sent 9  200 1  429 2  403 1  errors 3",
    );
  });
});
