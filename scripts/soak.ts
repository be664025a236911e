/**
 * Soak test (bounded in time and count, loopback only). It runs the traffic
 * simulator and a concurrent flood of requests with unique and reused session
 * ids across both backends. Then it checks from the recorded responses that
 * no rolling window admitted more than its limit and no request got a 5xx,
 * and it reports the resident memory of every workerd process.
 *
 *   npm run soak -- [--duration 180] [--concurrency 8] [--max-requests 2000000]
 *                   [--memory-limit-mb 320] [--output results/soak.json]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ConfigError, parseConfig, type LimiterConfig } from "../worker/config";
import { computeRollingWindowMax } from "../simulator/rolling-window";
import type { SimulationReport } from "../simulator/simulation-report";
import {
  findFreePort,
  ROOT_DIR,
  startTopologyOrExit,
  Topology,
} from "./lib/topology";
import { readRssMb } from "./lib/process-memory";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "180" },
    concurrency: { type: "string", default: "8" },
    "max-requests": { type: "string", default: "2000000" },
    "memory-limit-mb": { type: "string", default: "320" },
    output: { type: "string", default: "results/soak.json" },
  },
});
const durationMs = Number(values.duration) * 1000;
const concurrency = Number(values.concurrency);
const maxRequests = Number(values["max-requests"]);
const memoryLimitMb = Number(values["memory-limit-mb"]);
let config: LimiterConfig;
try {
  config = parseConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`error: ${error.message}`);
  process.exit(2);
}

interface FloodRecord {
  sent: number;
  byStatus: Record<number, number>;
  networkErrors: number;
  /** Admission times (coordinator clock) per session id. */
  admissions: Map<string, number[]>;
}

async function flood(
  urls: string[],
  deadlineMs: number,
  record: FloodRecord,
): Promise<void> {
  let counter = 0;
  const reused = Array.from(
    { length: 50 },
    (_, index) => `soak-reused-${index}`,
  );

  async function worker(workerIndex: number): Promise<void> {
    while (Date.now() < deadlineMs && record.sent < maxRequests) {
      const index = counter++;
      // Two of three requests use a never-seen session id, to grow state.
      const sessionId =
        index % 3 === 2
          ? reused[index % reused.length]!
          : `soak-${workerIndex}-${index}`;
      const url = urls[index % urls.length]!;
      record.sent++;
      try {
        const response = await fetch(`${url}/send`, {
          method: "POST",
          headers: {
            "x-session-id": sessionId,
            "x-ip-address": `10.${workerIndex}.0.1`,
            "user-agent": "soak/1",
          },
          body: "soak",
        });
        record.byStatus[response.status] =
          (record.byStatus[response.status] ?? 0) + 1;
        const body = (await response.json()) as { admittedAt?: number };
        if (response.status === 200 && typeof body.admittedAt === "number") {
          const list = record.admissions.get(sessionId) ?? [];
          list.push(body.admittedAt);
          record.admissions.set(sessionId, list);
        }
      } catch {
        record.networkErrors++;
      }
    }
  }

  await Promise.all(
    Array.from({ length: concurrency }, (_, index) => worker(index)),
  );
}

function runSimulator(urls: string[]): Promise<SimulationReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "simulator/cli.ts",
        "--servers",
        urls.join(","),
        "--duration",
        String(durationMs / 1000),
        "--clients",
        "4",
        "--seed",
        "7",
        "--json",
        "--quiet",
      ],
      { cwd: ROOT_DIR, stdio: ["ignore", "pipe", "ignore"] },
    );
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.once("exit", (code) => {
      try {
        resolve(JSON.parse(stdout) as SimulationReport);
      } catch {
        reject(new Error(`simulator exited with ${code} and no JSON report`));
      }
    });
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "guard-soak-"));
  // Every admission of every client, from the backends' decision logs.
  const loggedAdmissions: number[] = [];
  const topology = new Topology({
    coordinatorPort: await findFreePort(),
    backendPorts: [await findFreePort(), await findFreePort()],
    dataDir,
    output: (_name, line) => {
      if (!line.includes('"admittedAt"')) return;
      const event = JSON.parse(line) as { event?: string; admittedAt?: number };
      if (event.event === "decision" && typeof event.admittedAt === "number") {
        loggedAdmissions.push(event.admittedAt);
      }
    },
  });
  await startTopologyOrExit(topology, dataDir);
  const processes = [topology.coordinator!, ...topology.backends];
  const rssStartMb = processes.map((running) => readRssMb(running.child.pid));
  const rssMaxMb = [...rssStartMb];
  const sampler = setInterval(() => {
    processes.forEach((running, index) => {
      const rss = readRssMb(running.child.pid);
      if (rss !== null && rss > (rssMaxMb[index] ?? 0)) rssMaxMb[index] = rss;
    });
  }, 2_000);

  const record: FloodRecord = {
    sent: 0,
    byStatus: {},
    networkErrors: 0,
    admissions: new Map(),
  };
  const startedMs = Date.now();
  let simulation: SimulationReport;
  try {
    [simulation] = await Promise.all([
      runSimulator(topology.backendUrls),
      flood(topology.backendUrls, startedMs + durationMs, record),
    ]);
  } finally {
    clearInterval(sampler);
  }
  const rssEndMb = processes.map((running) => readRssMb(running.child.pid));
  await topology.stop();
  rmSync(dataDir, { recursive: true, force: true });

  // The flood and the simulator share the global window, so the global check
  // uses every admission the backends logged, from both sources.
  const globalWindowMs = config.globalWindowSeconds * 1000;
  const floodAdmissions = [...record.admissions.values()].flat();
  const floodGlobalMax = computeRollingWindowMax(
    floodAdmissions,
    globalWindowMs,
  ).maxCount;
  const globalMax = computeRollingWindowMax(
    loggedAdmissions,
    globalWindowMs,
  ).maxCount;
  let sessionMax = 0;
  for (const times of record.admissions.values()) {
    sessionMax = Math.max(
      sessionMax,
      computeRollingWindowMax(times, config.sessionWindowSeconds * 1000)
        .maxCount,
    );
  }
  const serverErrors = Object.entries(record.byStatus)
    .filter(([status]) => Number(status) >= 500)
    .reduce((sum, [, count]) => sum + count, 0);

  const summary = {
    command: `npm run soak -- ${process.argv.slice(2).join(" ")}`.trim(),
    durationSeconds: (Date.now() - startedMs) / 1000,
    flood: {
      requests: record.sent,
      requestsPerSecond: Math.round(record.sent / (durationMs / 1000)),
      byStatus: record.byStatus,
      networkErrors: record.networkErrors,
      distinctSessionsAdmitted: record.admissions.size,
      maxAdmittedGlobalWindow: floodGlobalMax,
      maxAdmittedSessionWindow: sessionMax,
    },
    allAdmissions: {
      count: loggedAdmissions.length,
      maxAdmittedGlobalWindow: globalMax,
    },
    simulator: {
      attempts: simulation.totals.attemptsSent,
      errors: simulation.totals.errors,
      rollingWindow: simulation.rollingWindow,
    },
    memoryMb: processes.map((running, index) => ({
      process: running.name,
      start: rssStartMb[index],
      max: rssMaxMb[index],
      end: rssEndMb[index],
    })),
  };
  const checks = {
    noServerErrors: serverErrors === 0 && simulation.totals.serverErrors === 0,
    globalWithinLimit:
      globalMax <= config.globalLimit &&
      simulation.rollingWindow.global.withinLimit,
    sessionWithinLimit:
      sessionMax <= config.sessionLimit &&
      simulation.rollingWindow.session.withinLimit,
    memoryWithinBound: rssMaxMb.every(
      (rss) => rss !== null && rss <= memoryLimitMb,
    ),
  };
  const outputPath = path.resolve(ROOT_DIR, values.output!);
  mkdirSync(path.dirname(outputPath), { recursive: true });
  writeFileSync(
    outputPath,
    `${JSON.stringify({ ...summary, checks }, null, 2)}\n`,
  );

  console.log(JSON.stringify({ ...summary, checks }, null, 2));
  const passed = Object.values(checks).every(Boolean);
  console.log(passed ? "soak: PASS" : "soak: FAIL");
  process.exitCode = passed ? 0 : 1;
}

await main();
