/**
 * End-to-end tests of simulator/cli.ts against a throwaway fixture server.
 *
 * The fixture is NOT the project's limiter: it is a minimal Node HTTP server
 * on 127.0.0.1 with an exact sliding log (a session limit and a global
 * limit per window) and a naive anomaly rule. It gives the simulator's
 * report numbers that can be checked against the server's own counters.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { SimulationReport } from "../../simulator/simulation-report.ts";

const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX_BIN = `${PROJECT_ROOT}node_modules/.bin/tsx`;
const CLI_PATH = `${PROJECT_ROOT}simulator/cli.ts`;

interface FixtureServerOptions {
  sessionLimit: number;
  globalLimit: number;
  windowMs: number;
  /** 403 after a session's fingerprint changes from the first one seen. */
  blockForeign: boolean;
  /** Mismatches after which a session gets `session_quarantined`. */
  quarantineAfterMismatches: number;
}

interface FixtureServer {
  /** Comma-separated base URLs, one per port. */
  urls: string;
  admittedAtMs: number[];
  statusCounts: Map<number, number>;
  close(): Promise<void>;
}

interface SessionState {
  log: number[];
  ipAddress: string;
  userAgent: string;
  mismatches: number;
  quarantined: boolean;
}

function dropExpired(log: number[], nowMs: number, windowMs: number): void {
  while (log.length > 0 && nowMs - log[0]! >= windowMs) {
    log.shift();
  }
}

async function readBody(request: IncomingMessage): Promise<void> {
  for await (const chunk of request) {
    void chunk;
  }
}

/**
 * Starts the fixture on `portCount` free loopback ports that share one
 * limiter state, like two backends behind one coordinator.
 */
async function startFixtureServer(
  options: FixtureServerOptions,
  portCount: number,
): Promise<FixtureServer> {
  const globalLog: number[] = [];
  const sessions = new Map<string, SessionState>();
  const admittedAtMs: number[] = [];
  const statusCounts = new Map<number, number>();

  const handleRequest: RequestListener = async (request, response) => {
    await readBody(request);
    const reply = (
      status: number,
      body: object,
      headers: Record<string, string> = {},
    ): void => {
      statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
      response.writeHead(status, {
        "content-type": "application/json",
        ...headers,
      });
      response.end(JSON.stringify(body));
    };

    if (request.method !== "POST" || request.url !== "/send") {
      reply(405, { admitted: false, reason: "method_not_allowed" });
      return;
    }
    const sessionId = String(request.headers["x-session-id"] ?? "");
    const ipAddress = String(request.headers["x-ip-address"] ?? "");
    const userAgent = String(request.headers["user-agent"] ?? "");
    if (sessionId === "") {
      reply(400, { admitted: false, reason: "missing_session_id" });
      return;
    }

    let session = sessions.get(sessionId);
    if (session === undefined) {
      session = {
        log: [],
        ipAddress,
        userAgent,
        mismatches: 0,
        quarantined: false,
      };
      sessions.set(sessionId, session);
    }

    if (options.blockForeign) {
      const mismatch =
        ipAddress !== session.ipAddress || userAgent !== session.userAgent;
      if (mismatch) {
        session.mismatches += 1;
        if (session.mismatches >= options.quarantineAfterMismatches) {
          session.quarantined = true;
        }
      }
      if (session.quarantined) {
        reply(403, { admitted: false, reason: "session_quarantined" });
        return;
      }
      if (mismatch) {
        reply(403, { admitted: false, reason: "fingerprint_mismatch" });
        return;
      }
    }

    const nowMs = Date.now();
    dropExpired(globalLog, nowMs, options.windowMs);
    dropExpired(session.log, nowMs, options.windowMs);
    const limited =
      session.log.length >= options.sessionLimit
        ? { reason: "session_limit", oldestMs: session.log[0]! }
        : globalLog.length >= options.globalLimit
          ? { reason: "global_limit", oldestMs: globalLog[0]! }
          : null;
    if (limited !== null) {
      const retryAfterSeconds = Math.max(
        1,
        Math.ceil((limited.oldestMs + options.windowMs - nowMs) / 1000),
      );
      reply(
        429,
        { admitted: false, reason: limited.reason, retryAfterSeconds },
        { "retry-after": String(retryAfterSeconds) },
      );
      return;
    }

    globalLog.push(nowMs);
    session.log.push(nowMs);
    admittedAtMs.push(nowMs);
    reply(200, {
      admitted: true,
      requestId: `fixture-${admittedAtMs.length}`,
      admittedAt: nowMs,
    });
  };

  const servers: Server[] = [];
  const urls: string[] = [];
  for (let i = 0; i < portCount; i += 1) {
    const server = createServer(handleRequest);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    servers.push(server);
    urls.push(`http://127.0.0.1:${port}`);
  }
  return {
    urls: urls.join(","),
    admittedAtMs,
    statusCounts,
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
        await once(server, "close");
      }
    },
  };
}

interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI. With `stop`, sends the signal `afterMs` after the CLI logged
 * that it started, so a slow start on a loaded machine cannot race it.
 */
async function runCli(
  args: readonly string[],
  stop?: { signal: NodeJS.Signals; afterMs: number },
): Promise<CliResult> {
  const child = spawn(TSX_BIN, [CLI_PATH, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, SERVERS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  let stopTimer: NodeJS.Timeout | undefined;
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stop && !stopTimer && stderr.includes('"simulator_started"')) {
      stopTimer = setTimeout(() => child.kill(stop.signal), stop.afterMs);
    }
  });
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [exitCode] = (await once(child, "exit")) as [number | null];
  clearTimeout(killTimer);
  clearTimeout(stopTimer);
  return { exitCode, stdout, stderr };
}

function countAllAttemptKinds(report: SimulationReport): number {
  const totals = report.totals;
  return (
    totals.admitted +
    totals.rateLimited +
    totals.blocked +
    totals.rejected +
    totals.errors +
    totals.cancelled
  );
}

let fixtures: FixtureServer[] = [];

async function startFixture(
  options: FixtureServerOptions,
  portCount = 1,
): Promise<FixtureServer> {
  const fixture = await startFixtureServer(options, portCount);
  fixtures.push(fixture);
  return fixture;
}

afterEach(async () => {
  await Promise.all(fixtures.map((fixture) => fixture.close()));
  fixtures = [];
});

const EXACT_LIMITER: FixtureServerOptions = {
  sessionLimit: 5,
  globalLimit: 30,
  windowMs: 2_000,
  blockForeign: true,
  quarantineAfterMismatches: 3,
};

describe("simulator CLI", () => {
  it("reports consistent totals against an exact limiter", async () => {
    const fixture = await startFixture(EXACT_LIMITER, 2);
    const result = await runCli([
      "--servers",
      fixture.urls,
      "--duration",
      "5",
      "--seed",
      "42",
      "--clients",
      "3",
      "--global-window",
      "2",
      "--session-window",
      "2",
      "--json",
      "--quiet",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SimulationReport;
    const { totals } = report;
    const fixtureAdmitted = fixture.admittedAtMs.length;
    console.log(
      "simulator-cli exact limiter:",
      JSON.stringify({
        totals,
        fixtureStatusCounts: Object.fromEntries(fixture.statusCounts),
        fixtureAdmitted,
        rollingWindow: report.rollingWindow,
        detection: report.detection,
      }),
    );

    expect(report.run.seed).toBe(42);
    expect(report.run.stopReason).toBe("duration");
    expect(report.servers).toHaveLength(2);
    expect(totals.attemptsSent).toBe(countAllAttemptKinds(report));
    expect(totals.errors).toBe(
      totals.serverErrors + totals.networkErrors + totals.deadlineExceeded,
    );
    expect(totals.admitted).toBeGreaterThan(30);
    expect(totals.rateLimited).toBeGreaterThan(0);
    expect(totals.blocked).toBeGreaterThan(0);
    // Retry-After is at most 2 s here, so 429s are retried within 5 s.
    expect(totals.requests).toBeLessThan(totals.attemptsSent);

    // Every 200 the fixture sent reached the simulator, except responses
    // cut off by the stop.
    expect(totals.admitted).toBeLessThanOrEqual(fixtureAdmitted);
    expect(totals.admitted).toBeGreaterThanOrEqual(
      fixtureAdmitted - totals.cancelled,
    );
    expect(totals.rateLimited).toBeLessThanOrEqual(
      fixture.statusCounts.get(429) ?? 0,
    );

    expect(report.rollingWindow.global.maxAdmitted).toBeGreaterThan(0);
    expect(report.rollingWindow.global.maxAdmitted).toBeLessThanOrEqual(30);
    expect(report.rollingWindow.session.maxAdmitted).toBeLessThanOrEqual(5);
    expect(report.rollingWindow.admittedWithoutServerTime).toBe(0);
    expect(report.verdict.passed).toBe(true);

    const sessionSent = report.sessions.reduce((sum, row) => sum + row.sent, 0);
    expect(sessionSent).toBe(totals.attemptsSent);
    expect(report.sessions.length).toBeLessThanOrEqual(3 * 20);
    const foreignRequests = report.sessions.reduce(
      (sum, row) => sum + row.foreignRequests,
      0,
    );
    expect(report.detection.foreign.requests).toBeLessThanOrEqual(
      foreignRequests,
    );
    expect(totals.blocked).toBe(fixture.statusCounts.get(403) ?? 0);
    // The fixture blocks every change from the first fingerprint it saw.
    // Only a session whose first request was anomalous gets a foreign
    // request admitted, so most foreign requests get a 403.
    expect(report.detection.foreign.rate).toBeGreaterThan(0.5);
    expect(report.detection.quarantine.sessionsQuarantined).toBeGreaterThan(0);
  }, 40_000);

  it("exits 1 when admissions exceed a judged limit", async () => {
    const fixture = await startFixture({
      ...EXACT_LIMITER,
      blockForeign: false,
    });
    const result = await runCli([
      "--servers",
      fixture.urls,
      "--duration",
      "2",
      "--seed",
      "3",
      "--clients",
      "3",
      "--global-limit",
      "10",
      "--global-window",
      "2",
      "--session-window",
      "2",
      "--quiet",
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("Result: FAIL");
    expect(result.stderr).toContain("global limit exceeded");
  }, 40_000);

  it("gives up waits past the deadline by default", async () => {
    const fixture = await startFixture(
      { ...EXACT_LIMITER, windowMs: 60_000, blockForeign: false },
      2,
    );
    const result = await runCli([
      "--servers",
      fixture.urls,
      "--duration",
      "3",
      "--seed",
      "5",
      "--json",
      "--quiet",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SimulationReport;
    expect(report.totals.gaveUp).toBeGreaterThan(0);
    expect(report.totals.attemptsSent).toBe(countAllAttemptKinds(report));
    expect(report.rollingWindow.session.maxAdmitted).toBe(5);
    console.log("simulator-cli default mode:", JSON.stringify(report.totals));
  }, 40_000);

  it("sleeps past the deadline with --client-defects", async () => {
    const fixture = await startFixture(
      { ...EXACT_LIMITER, windowMs: 60_000, blockForeign: false },
      2,
    );
    const result = await runCli([
      "--servers",
      fixture.urls,
      "--duration",
      "3",
      "--seed",
      "5",
      "--client-defects",
      "--json",
      "--quiet",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SimulationReport;
    expect(report.run.clientDefects).toBe(true);
    expect(report.totals.gaveUp).toBe(0);
    expect(report.totals.rateLimited).toBeGreaterThan(0);
    expect(report.totals.attemptsSent).toBe(countAllAttemptKinds(report));
    // After its first 429 the client sleeps a Retry-After of up to 60 s, so
    // a 3 s run sends only a handful of attempts.
    expect(report.totals.attemptsSent).toBeLessThan(100);
    console.log("simulator-cli client defects:", JSON.stringify(report.totals));
  }, 40_000);

  it("prints the report after SIGTERM", async () => {
    const fixture = await startFixture(EXACT_LIMITER);
    const result = await runCli(
      [
        "--servers",
        fixture.urls,
        "--seed",
        "9",
        "--quiet",
        // Judge with the fixture's own windows.
        "--global-window",
        "2",
        "--session-window",
        "2",
      ],
      { signal: "SIGTERM", afterMs: 2_500 },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("stopped by signal");
    expect(result.stdout).toContain("Result: PASS");
  }, 40_000);

  it("rejects an invalid flag value with exit 2", async () => {
    const result = await runCli([
      "--servers",
      "http://127.0.0.1:1",
      "--clients",
      "zero",
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--clients: "zero"');
  }, 40_000);
});
