/**
 * Memory benchmark (not a pass/fail test). It sends rounds of requests with
 * never-seen session ids through both backends. After each round and after
 * an idle pause it reports the resident memory of every workerd process, to
 * show whether memory stays flat as distinct sessions accumulate.
 *
 *   npm run bench:memory -- [--rounds 4] [--sessions-per-round 5000]
 *                           [--concurrency 16] [--idle-seconds 20]
 *                           [--same-session]
 *
 * `--same-session` sends every request with one session id instead: a control
 * run that separates memory growth per request from growth per session.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findFreePort, startTopologyOrExit, Topology } from "./lib/topology";
import { readRssMb } from "./lib/process-memory";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "4" },
    "sessions-per-round": { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
    "idle-seconds": { type: "string", default: "20" },
    "same-session": { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const sessionsPerRound = Number(values["sessions-per-round"]);
const concurrency = Number(values.concurrency);
const idleMs = Number(values["idle-seconds"]) * 1000;
const sameSession = values["same-session"];

async function sendRound(
  urls: string[],
  round: number,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  async function worker(): Promise<void> {
    while (next < sessionsPerRound) {
      const index = next++;
      const response = await fetch(`${urls[index % urls.length]}/send`, {
        method: "POST",
        headers: {
          "x-session-id": sameSession
            ? "memory-same"
            : `memory-${round}-${index}`,
          "x-ip-address": "203.0.113.7",
          "user-agent": "bench/1",
        },
        body: "bench",
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  return statuses;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "guard-memory-"));
  const topology = new Topology({
    coordinatorPort: await findFreePort(),
    backendPorts: [await findFreePort(), await findFreePort()],
    dataDir,
    output: "ignore",
    // A slow disk must not turn this into a timeout test.
    env: { COORDINATOR_TIMEOUT_MS: "10000" },
  });
  await startTopologyOrExit(topology, dataDir);
  const processes = [topology.coordinator!, ...topology.backends];
  const sample = (label: string, extra: Record<string, unknown> = {}) => {
    const rss = Object.fromEntries(
      processes.map((running) => {
        const rssMb = readRssMb(running.child.pid);
        return [running.name, rssMb === null ? null : Math.round(rssMb)];
      }),
    );
    console.log(JSON.stringify({ label, rssMb: rss, ...extra }));
  };

  try {
    sample("start");
    for (let round = 1; round <= rounds; round++) {
      const startedMs = Date.now();
      const statuses = await sendRound(topology.backendUrls, round);
      const seconds = (Date.now() - startedMs) / 1000;
      sample(`after round ${round}`, {
        distinctSessions: sameSession ? 1 : round * sessionsPerRound,
        statuses,
        newSessionsPerSecond: Math.round(sessionsPerRound / seconds),
      });
    }
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    sample(`after ${idleMs / 1000} s idle`);
  } finally {
    await topology.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
