/**
 * Local launcher. `npm run serve` starts the coordinator and two backends as
 * workerd processes until Ctrl-C; `npm start` also runs the traffic simulator
 * against both backends. Arguments after `--simulate` go to the simulator,
 * e.g. `npm start -- --duration 180 --seed 7`.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import path from "node:path";
import { ConfigError, parseConfig } from "../worker/config";
import {
  ROOT_DIR,
  stopProcess,
  Topology,
  TopologyStartError,
  type RunningProcess,
} from "./lib/topology";

interface LauncherSettings {
  coordinatorPort: number;
  backendPorts: number[];
  dataDir: string;
  logDir: string;
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

function parsePort(name: string, text: string): number {
  if (!/^[0-9]+$/.test(text.trim()))
    fail(`${name}=${JSON.stringify(text)} is not a port number`);
  const port = Number(text);
  if (port < 1 || port > 65_535)
    fail(`${name}=${text} is out of range 1-65535`);
  return port;
}

function readSettings(env: NodeJS.ProcessEnv): LauncherSettings {
  const backendText = env.BACKEND_PORTS ?? "8080,8081";
  const backendPorts = backendText
    .split(",")
    .map((part) => parsePort("BACKEND_PORTS", part));
  const coordinatorPort = parsePort(
    "COORDINATOR_PORT",
    env.COORDINATOR_PORT ?? "8790",
  );
  const allPorts = [coordinatorPort, ...backendPorts];
  if (new Set(allPorts).size !== allPorts.length) {
    fail(
      `ports must differ: COORDINATOR_PORT=${coordinatorPort} BACKEND_PORTS=${backendText}`,
    );
  }
  const dataDir = path.resolve(ROOT_DIR, env.DATA_DIR ?? ".data/coordinator");
  return {
    coordinatorPort,
    backendPorts,
    dataDir,
    logDir: path.resolve(ROOT_DIR, env.LOG_DIR ?? ".data/logs"),
  };
}

/**
 * Returns a process's output line as one JSON object with a `process` field.
 * workerd's own messages are plain text and may quote raw request bytes, so
 * they are wrapped as an escaped `message` instead of passed on as they are.
 */
function toJsonLogLine(name: string, line: string): string {
  if (line.startsWith("{")) {
    try {
      const event = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify({ process: name, ...event });
    } catch {
      // Not JSON after all: wrapped below.
    }
  }
  return JSON.stringify({
    time: new Date().toISOString(),
    process: name,
    event: "runtime_output",
    message: line,
  });
}

/**
 * Restarts any process that ends while the launcher runs, after a second,
 * so a crashed coordinator comes back with its stored windows and the
 * backends return 503 meanwhile instead of disappearing.
 */
function superviseProcesses(
  topology: Topology,
  isStopping: () => boolean,
): void {
  const watch = (
    running: RunningProcess,
    restart: () => Promise<RunningProcess>,
  ) => {
    running.child.once("exit", (code, signal) => {
      if (isStopping()) return;
      console.error(
        JSON.stringify({
          time: new Date().toISOString(),
          level: "warn",
          event: "process_exited",
          process: running.name,
          exitCode: code,
          signal,
          restartInMs: 1_000,
        }),
      );
      setTimeout(() => {
        if (isStopping()) return;
        restart().then(
          (next) => watch(next, restart),
          (error: unknown) => {
            console.error(
              `error: cannot restart ${running.name}: ${String(error)}`,
            );
            process.exit(1);
          },
        );
      }, 1_000);
    });
  };

  watch(topology.coordinator!, async () => {
    await topology.startCoordinator();
    return topology.coordinator!;
  });
  topology.backends.forEach((backend, index) =>
    watch(backend, () => topology.restartBackend(index)),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const simulate = args[0] === "--simulate";
  const simulatorArgs = simulate ? args.slice(1) : [];
  if (!simulate && args.length > 0)
    fail(`unknown arguments: ${args.join(" ")}`);

  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const settings = readSettings(process.env);

  // With the simulator's progress line on the terminal, process logs go to
  // files; without it they stream to stdout. Either way each line is one
  // JSON object that names its process.
  const logFiles = new Map<string, WriteStream>();
  if (simulate) {
    try {
      mkdirSync(settings.logDir, { recursive: true });
    } catch (error) {
      fail(
        `cannot create LOG_DIR ${settings.logDir}: ${(error as Error).message}`,
      );
    }
  }
  const output = (name: string, rawLine: string): void => {
    const line = toJsonLogLine(name, rawLine);
    if (!simulate) {
      process.stdout.write(`${line}\n`);
      return;
    }
    let file = logFiles.get(name);
    if (!file) {
      file = createWriteStream(path.join(settings.logDir, `${name}.log`), {
        flags: "a",
      });
      logFiles.set(name, file);
    }
    file.write(`${line}\n`);
  };

  const topology = new Topology({
    coordinatorPort: settings.coordinatorPort,
    backendPorts: settings.backendPorts,
    dataDir: settings.dataDir,
    output,
    // Operators who want to query the coordinator set their own secret;
    // otherwise each launch gets a random one.
    secret: process.env.COORDINATOR_SECRET || undefined,
  });

  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await topology.stop();
      for (const file of logFiles.values()) file.end();
    }
    process.exit(code);
  };

  try {
    await topology.start();
  } catch (error) {
    if (error instanceof TopologyStartError) fail(error.message);
    throw error;
  }

  const guards =
    Number(topology.sessionShards) === 0
      ? "one per session id"
      : `${topology.sessionShards} shared`;
  console.log(
    `limits: global ${config.globalLimit} per ${config.globalWindowSeconds} s, ` +
      `session ${config.sessionLimit} per ${config.sessionWindowSeconds} s, ` +
      `fail mode ${config.failMode}, session guards ${guards}`,
  );
  console.log(
    `coordinator listening on http://${topology.host}:${settings.coordinatorPort} (state in ${path.relative(ROOT_DIR, settings.dataDir)})`,
  );
  for (const [index, url] of topology.backendUrls.entries()) {
    console.log(`backend${index + 1} listening on ${url}`);
  }
  if (simulate)
    console.log(
      `process logs: ${path.relative(ROOT_DIR, settings.logDir)}/*.log`,
    );

  superviseProcesses(topology, () => stopping);
  if (!simulate) {
    console.log("press Ctrl-C to stop");
    process.on("SIGINT", () => void shutdown(0));
    process.on("SIGTERM", () => void shutdown(0));
    return;
  }

  const simulator = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "simulator/cli.ts",
      "--servers",
      topology.backendUrls.join(","),
      ...simulatorArgs,
    ],
    { cwd: ROOT_DIR, stdio: "inherit", env: process.env },
  );
  // Ctrl-C reaches the simulator too (same process group); it prints its
  // report and exits, then the servers stop.
  process.on("SIGINT", () => undefined);
  process.on("SIGTERM", () => void stopProcess(simulator, "SIGTERM"));
  simulator.once("exit", (code) => void shutdown(code ?? 1));
}

await main();
