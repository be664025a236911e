/**
 * Starts the multi-process topology on loopback: one coordinator workerd
 * process (the Durable Objects) and N stateless backend workerd processes,
 * all running the same bundle with the configs under docker/. Used by the
 * launcher (`npm start`, `npm run serve`) and by the end-to-end tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { mkdirSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, parseConfig } from "../../worker/config";

export const ROOT_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../..",
);

/**
 * SessionGuard objects shared by all session ids in a single coordinator
 * process, unless SESSION_SHARDS sets another count. One object per session id
 * would open one SQLite database per live session in this one process, and
 * its memory would grow with every new session id.
 */
export const LOCAL_SESSION_SHARDS = 16;

/** Returns the path of the workerd binary shipped in the npm package. */
export function resolveWorkerdBinary(): string {
  const require = createRequire(import.meta.url);
  const packageJson =
    require.resolve("@cloudflare/workerd-linux-64/package.json");
  return path.join(path.dirname(packageJson), "bin", "workerd");
}

export interface TopologyOptions {
  /** Loopback host to bind. @default "127.0.0.1" */
  host?: string;
  coordinatorPort: number;
  backendPorts: number[];
  /** Folder for the coordinator's Durable Object storage. */
  dataDir: string;
  /** Settings passed to every process (GLOBAL_LIMIT and so on). */
  env?: Record<string, string | undefined>;
  /** Extra settings per backend, by index. */
  backendEnv?: Record<string, string>[];
  /** Destination of process output: "inherit", "ignore", or a line callback. */
  output?: "inherit" | "ignore" | ((name: string, line: string) => void);
  /** Shared secret between backends and coordinator. @default random */
  secret?: string;
}

export interface RunningProcess {
  name: string;
  port: number;
  child: ChildProcess;
}

/** Raised when a process cannot start, e.g. because its port is taken. */
export class TopologyStartError extends Error {
  override name = "TopologyStartError";
}

/** Tells whether something already listens on host:port. */
export function isPortInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Returns a free TCP port on loopback, chosen by the kernel. */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

async function waitForPort(
  host: string,
  port: number,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new TopologyStartError(
        `process exited with ${child.exitCode ?? child.signalCode} before listening on ${host}:${port}`,
      );
    }
    if (await isPortInUse(host, port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new TopologyStartError(
    `nothing listens on ${host}:${port} after ${timeoutMs} ms`,
  );
}

function pipeOutput(
  child: ChildProcess,
  name: string,
  output: TopologyOptions["output"],
): void {
  if (typeof output !== "function") return;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") output(name, line);
    });
  }
}

/** The coordinator and backends of one topology, with lifecycle controls. */
export class Topology {
  readonly host: string;
  readonly secret: string;
  coordinator: RunningProcess | undefined;
  readonly backends: RunningProcess[] = [];
  readonly #options: TopologyOptions;

  constructor(options: TopologyOptions) {
    this.#options = options;
    this.host = options.host ?? "127.0.0.1";
    this.secret = options.secret ?? randomBytes(24).toString("hex");
  }

  /** Base URLs of the backends, e.g. http://127.0.0.1:8080. */
  get backendUrls(): string[] {
    return this.backends.map(
      (backend) => `http://${this.host}:${backend.port}`,
    );
  }

  #spawn(
    name: string,
    port: number,
    args: string[],
    extraEnv: Record<string, string>,
  ): RunningProcess {
    const output = this.#options.output ?? "inherit";
    const child = spawn(resolveWorkerdBinary(), ["serve", ...args], {
      cwd: ROOT_DIR,
      env: {
        ...process.env,
        ...this.#options.env,
        COORDINATOR_SECRET: this.secret,
        ...extraEnv,
      },
      stdio: [
        "ignore",
        output === "inherit" ? "inherit" : "pipe",
        output === "inherit" ? "inherit" : "pipe",
      ],
    });
    if (output === "ignore") {
      child.stdout?.resume();
      child.stderr?.resume();
    }
    pipeOutput(child, name, output);
    return { name, port, child };
  }

  /** The coordinator's SESSION_SHARDS: the caller's, else the local default. */
  get sessionShards(): string {
    // An empty value means "not set" here too, as in the compose file.
    return (
      this.#options.env?.SESSION_SHARDS?.trim() ||
      process.env.SESSION_SHARDS?.trim() ||
      String(LOCAL_SESSION_SHARDS)
    );
  }

  /** Starts the coordinator process and waits until it listens. */
  async startCoordinator(): Promise<void> {
    const { coordinatorPort, dataDir } = this.#options;
    try {
      parseConfig({
        ...process.env,
        ...this.#options.env,
        SESSION_SHARDS: this.sessionShards,
      });
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new TopologyStartError(error.message);
      }
      throw error;
    }
    if (await isPortInUse(this.host, coordinatorPort)) {
      throw new TopologyStartError(
        `port ${coordinatorPort} (coordinator) is already in use`,
      );
    }
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      throw new TopologyStartError(
        `cannot create the data folder ${dataDir}: ${(error as Error).message}`,
      );
    }
    const coordinator = this.#spawn(
      "coordinator",
      coordinatorPort,
      [
        "docker/coordinator.capnp",
        "--socket-addr",
        `coordinator=${this.host}:${coordinatorPort}`,
        "--directory-path",
        `coordinator-storage=${path.resolve(dataDir)}`,
      ],
      { SESSION_SHARDS: this.sessionShards },
    );
    this.coordinator = coordinator;
    await waitForPort(this.host, coordinatorPort, coordinator.child, 15_000);
  }

  #spawnBackend(index: number): RunningProcess {
    const { coordinatorPort, backendPorts } = this.#options;
    const port = backendPorts[index]!;
    return this.#spawn(
      `backend${index + 1}`,
      port,
      [
        "docker/backend.capnp",
        "--socket-addr",
        `http=${this.host}:${port}`,
        "--external-addr",
        `coordinator=${this.host}:${coordinatorPort}`,
      ],
      {
        BACKEND_NAME: `backend${index + 1}`,
        ...this.#options.backendEnv?.[index],
      },
    );
  }

  /** Starts every backend process and waits until each listens. */
  async startBackends(): Promise<void> {
    for (const port of this.#options.backendPorts) {
      if (await isPortInUse(this.host, port)) {
        throw new TopologyStartError(
          `port ${port} (backend) is already in use`,
        );
      }
    }
    for (const index of this.#options.backendPorts.keys()) {
      this.backends.push(this.#spawnBackend(index));
    }
    await Promise.all(
      this.backends.map((backend) =>
        waitForPort(this.host, backend.port, backend.child, 15_000),
      ),
    );
  }

  /** Starts backend `index` again after its process ended. */
  async restartBackend(index: number): Promise<RunningProcess> {
    const backend = this.#spawnBackend(index);
    this.backends[index] = backend;
    await waitForPort(this.host, backend.port, backend.child, 15_000);
    return backend;
  }

  /** Starts the coordinator, then the backends, and waits until all are ready. */
  async start(): Promise<void> {
    try {
      await this.startCoordinator();
      await this.startBackends();
      await this.waitUntilReady();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Polls every backend's /readyz until it reports the coordinator reachable. */
  async waitUntilReady(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const url of this.backendUrls) {
      let lastError = "";
      for (;;) {
        try {
          const response = await fetch(`${url}/readyz`);
          if (response.ok) break;
          lastError = `status ${response.status}: ${await response.text()}`;
        } catch (error) {
          lastError = String(error);
        }
        if (Date.now() > deadline) {
          throw new TopologyStartError(
            `${url}/readyz is not ready after ${timeoutMs} ms: ${lastError}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Stops the coordinator process (SIGTERM, then SIGKILL after 3 s). */
  async stopCoordinator(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.coordinator) await stopProcess(this.coordinator.child, signal);
    this.coordinator = undefined;
  }

  /** Stops every process of the topology. */
  async stop(): Promise<void> {
    await Promise.all(
      this.backends.map((backend) => stopProcess(backend.child, "SIGTERM")),
    );
    this.backends.length = 0;
    await this.stopCoordinator();
  }
}

/** Stops a child process and waits for it to exit. */
export function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Starts `topology` for a benchmark script. When it cannot start (a port is
 * taken or a setting is invalid), removes `dataDir`, prints the reason and
 * exits with status 2 instead of a stack trace.
 */
export async function startTopologyOrExit(
  topology: Topology,
  dataDir: string,
): Promise<void> {
  try {
    await topology.start();
  } catch (error) {
    await topology.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof TopologyStartError) {
      console.error(`error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
