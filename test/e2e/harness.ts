/**
 * Test fixture: the real multi-process topology (one coordinator and two
 * backend workerd processes) on free loopback ports, with a fresh storage
 * folder and settings chosen by the test file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findFreePort, Topology } from "../../scripts/lib/topology";

export interface SendOptions {
  sessionId?: string;
  ipAddress?: string;
  userAgent?: string;
  /** Extra or overriding headers. */
  headers?: Record<string, string>;
  method?: string;
  body?: string;
  path?: string;
}

export interface SentResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export interface Harness {
  topology: Topology;
  /** Base URLs of backend A and backend B. */
  a: string;
  b: string;
  dataDir: string;
  send(base: string, options?: SendOptions): Promise<SentResponse>;
  /** Stops the coordinator and starts it again on the same storage. */
  restartCoordinator(): Promise<void>;
  /** Replaces the coordinator with one on empty storage: fresh windows. */
  resetCoordinator(): Promise<void>;
  stop(): Promise<void>;
}

/** Sends one request and reads its JSON body (empty object when none). */
export async function sendRequest(
  base: string,
  options: SendOptions = {},
): Promise<SentResponse> {
  const headers: Record<string, string> = {
    "x-session-id": options.sessionId ?? "s-default",
    "x-ip-address": options.ipAddress ?? "203.0.113.7",
    "user-agent": options.userAgent ?? "T/1",
    ...options.headers,
  };
  const response = await fetch(`${base}${options.path ?? "/send"}`, {
    method: options.method ?? "POST",
    headers,
    body:
      options.body ??
      (options.method && options.method !== "POST" ? undefined : "hello world"),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text !== "") {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { unparsed: text };
    }
  }
  return { status: response.status, headers: response.headers, body };
}

/** Starts a topology with `env` settings; call `stop()` in afterAll. */
export async function startHarness(
  env: Record<string, string>,
  backendEnv?: Record<string, string>[],
  dataParentDir = tmpdir(),
): Promise<Harness> {
  const dataDir = mkdtempSync(path.join(dataParentDir, "guard-e2e-"));
  const coordinatorPort = await findFreePort();
  const backendPorts = [await findFreePort(), await findFreePort()];
  const topology = new Topology({
    coordinatorPort,
    backendPorts,
    dataDir,
    env,
    backendEnv,
    output: process.env.E2E_VERBOSE ? "inherit" : "ignore",
  });
  await topology.start();
  const [a, b] = topology.backendUrls as [string, string];

  return {
    topology,
    a,
    b,
    dataDir,
    send: sendRequest,
    async restartCoordinator() {
      await topology.stopCoordinator();
      await topology.startCoordinator();
      await topology.waitUntilReady();
    },
    async resetCoordinator() {
      await topology.stopCoordinator();
      rmSync(dataDir, { recursive: true, force: true });
      await topology.startCoordinator();
      await topology.waitUntilReady();
    },
    async stop() {
      await topology.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts responses by status code. */
export function countStatuses(
  responses: SentResponse[],
): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses)
    counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}
