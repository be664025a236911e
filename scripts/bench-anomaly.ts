/**
 * Anomaly-detection benchmark (not a pass/fail test): runs a fixed-seed
 * simulation against the real topology with the production settings (60 s
 * windows) and writes detection figures to results/anomaly-benchmark.json.
 *
 *   npm run bench:anomaly -- [--duration 600] [--seed 42] [--clients 4] [--client-defects]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { SimulationReport } from "../simulator/simulation-report";
import {
  findFreePort,
  ROOT_DIR,
  startTopologyOrExit,
  Topology,
} from "./lib/topology";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "600" },
    seed: { type: "string", default: "42" },
    clients: { type: "string", default: "4" },
    "client-defects": { type: "boolean", default: false },
    output: { type: "string", default: "results/anomaly-benchmark.json" },
  },
});

function runSimulator(servers: string[]): Promise<SimulationReport> {
  const args = [
    "--import",
    "tsx",
    "simulator/cli.ts",
    "--servers",
    servers.join(","),
    "--duration",
    values.duration!,
    "--seed",
    values.seed!,
    "--clients",
    values.clients!,
    "--json",
  ];
  if (values["client-defects"]) args.push("--client-defects");

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT_DIR,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.once("error", reject);
    child.once("exit", (code) => {
      try {
        resolve(JSON.parse(stdout) as SimulationReport);
      } catch (error) {
        reject(
          new Error(
            `simulator exited with ${code} and no JSON report: ${String(error)}`,
          ),
        );
      }
    });
  });
}

const SCORE_BANDS: [number, number][] = [
  [0, 9],
  [10, 29],
  [30, 49],
  [50, 99],
];

/** Owner false blocks and recall per bad-actor score band, from the sessions. */
function summarizeBands(report: SimulationReport) {
  return SCORE_BANDS.map(([low, high]) => {
    const sessions = report.sessions.filter(
      (session) => session.score >= low && session.score <= high,
    );
    let ownerRequests = 0;
    let ownerBlocked = 0;
    let foreignRequests = 0;
    let foreignBlocked = 0;
    for (const session of sessions) {
      ownerRequests += session.requests - session.foreignRequests;
      ownerBlocked += session.blocked - session.foreignBlocked;
      foreignRequests += session.foreignRequests;
      foreignBlocked += session.foreignBlocked;
    }
    return {
      scores: `${low}-${high}`,
      sessions: sessions.length,
      ownerRequests,
      ownerBlocked,
      ownerFalseBlockRate: ownerRequests ? ownerBlocked / ownerRequests : null,
      foreignRequests,
      recall: foreignRequests ? foreignBlocked / foreignRequests : null,
    };
  });
}

function percent(rate: number | null): string {
  return rate === null ? "n/a" : `${(rate * 100).toFixed(2)} %`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "guard-bench-"));
  const topology = new Topology({
    coordinatorPort: await findFreePort(),
    backendPorts: [await findFreePort(), await findFreePort()],
    dataDir,
    output: "ignore",
  });
  await startTopologyOrExit(topology, dataDir);

  let report: SimulationReport;
  try {
    report = await runSimulator(topology.backendUrls);
  } finally {
    await topology.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const { detection, rollingWindow, totals } = report;
  const summary = {
    command:
      `npm run bench:anomaly -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    run: report.run,
    totals,
    rollingWindow,
    recall: detection.foreign,
    ownerFalseBlocks: detection.owner,
    lowScoreOwnerFalseBlocks: detection.lowScoreOwner,
    quarantine: detection.quarantine,
    byScore: summarizeBands(report),
  };
  const outputPath = path.resolve(ROOT_DIR, values.output!);
  mkdirSync(path.dirname(outputPath), { recursive: true });
  writeFileSync(outputPath, `${JSON.stringify(summary, null, 2)}\n`);

  console.log(
    `requests sent ${totals.attemptsSent}, admitted ${totals.admitted}, blocked ${totals.blocked}`,
  );
  console.log(
    `recall ${percent(detection.foreign.rate)} (${detection.foreign.blocked} of ${detection.foreign.requests} foreign requests blocked)`,
  );
  console.log(
    `owner false blocks ${percent(detection.owner.rate)} overall, ${percent(detection.lowScoreOwner.rate)} for score < ${detection.lowScoreBelow}`,
  );
  console.log(
    `quarantine (score >= ${detection.quarantine.minScore}): ${detection.quarantine.sessionsQuarantined} of ${detection.quarantine.sessionsWithForeign} sessions, ` +
      `requests to quarantine median ${detection.quarantine.medianRequestsToQuarantine ?? "n/a"}, max ${detection.quarantine.maxRequestsToQuarantine ?? "n/a"}`,
  );
  console.log(
    `max admitted in a rolling window: global ${rollingWindow.global.maxAdmitted}, session ${rollingWindow.session.maxAdmitted}`,
  );
  console.log(`written to ${path.relative(ROOT_DIR, outputPath)}`);
}

await main();
