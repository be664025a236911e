import { describe, expect, it } from "vitest";
import {
  OptionsError,
  parseSimulatorCommand,
  type SimulatorOptions,
} from "../../simulator/simulator-options.ts";

function parseOptions(
  argv: string[],
  env: Record<string, string> = {},
): SimulatorOptions {
  const command = parseSimulatorCommand(argv, env);
  if (command.kind !== "run") {
    throw new Error(`expected a run command, got ${command.kind}`);
  }
  return command.options;
}

function captureError(
  argv: string[],
  env: Record<string, string> = {},
): string {
  try {
    parseSimulatorCommand(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    return (error as Error).message;
  }
  throw new Error("expected an OptionsError");
}

describe("parseSimulatorCommand", () => {
  it("applies defaults", () => {
    expect(parseOptions(["--servers", "http://127.0.0.1:8080/"])).toEqual({
      serverUrls: ["http://127.0.0.1:8080"],
      durationSeconds: null,
      seed: null,
      clients: 1,
      json: false,
      quiet: false,
      clientDefects: false,
      globalLimit: 30,
      globalWindowSeconds: 60,
      sessionLimit: 5,
      sessionWindowSeconds: 60,
    });
  });

  it("reads every flag, in both spellings", () => {
    const options = parseOptions([
      "--servers=http://a:1,http://b:2",
      "--duration",
      "2.5",
      "--seed=0",
      "--clients",
      "4",
      "--json",
      "--quiet",
      "--client-defects",
      "--global-limit",
      "100",
      "--global-window",
      "30",
      "--session-limit",
      "7",
      "--session-window",
      "1.5",
    ]);
    expect(options).toEqual({
      serverUrls: ["http://a:1", "http://b:2"],
      durationSeconds: 2.5,
      seed: 0,
      clients: 4,
      json: true,
      quiet: true,
      clientDefects: true,
      globalLimit: 100,
      globalWindowSeconds: 30,
      sessionLimit: 7,
      sessionWindowSeconds: 1.5,
    });
  });

  it("falls back to environment variables", () => {
    const options = parseOptions([], {
      SERVERS: "http://backend1:8080,http://backend2:8080",
      GLOBAL_LIMIT: "40",
      GLOBAL_WINDOW_SECONDS: "120",
      SESSION_LIMIT: "6",
      SESSION_WINDOW_SECONDS: "30",
      SIMULATOR_SEED: "12",
    });
    expect(options.serverUrls).toEqual([
      "http://backend1:8080",
      "http://backend2:8080",
    ]);
    expect(options.globalLimit).toBe(40);
    expect(options.globalWindowSeconds).toBe(120);
    expect(options.sessionLimit).toBe(6);
    expect(options.sessionWindowSeconds).toBe(30);
    expect(options.seed).toBe(12);
  });

  it("prefers a flag over its variable", () => {
    const options = parseOptions(["--session-limit", "9"], {
      SERVERS: "http://a:1",
      SESSION_LIMIT: "abc",
    });
    expect(options.sessionLimit).toBe(9);
  });

  it("returns help for --help", () => {
    expect(parseSimulatorCommand(["--help"], {})).toEqual({ kind: "help" });
  });

  it("names the flag and value in errors", () => {
    const server = ["--servers", "http://a:1"];
    expect(captureError([...server, "--clients", "0"])).toContain(
      '--clients: "0"',
    );
    expect(captureError([...server, "--clients", "1001"])).toContain(
      '--clients: "1001"',
    );
    expect(captureError([...server, "--duration", "-3"])).toContain(
      '--duration: "-3"',
    );
    expect(captureError([...server, "--seed", "1e3"])).toContain(
      '--seed: "1e3"',
    );
    expect(captureError([...server, "--session-window", "0"])).toContain(
      '--session-window: "0"',
    );
    expect(captureError(["--servers", "http://a:1,"])).toContain(
      '--servers: "http://a:1,"',
    );
    expect(captureError(["--servers", "ftp://a"])).toContain("--servers");
  });

  it("names the variable in errors from the environment", () => {
    expect(captureError([], { SERVERS: "http://a:1", GLOBAL_LIMIT: "x" })).toBe(
      'invalid value for GLOBAL_LIMIT: "x" (expected an integer >= 1)',
    );
  });

  it("rejects unknown, valueless and missing options", () => {
    expect(captureError(["--servers", "http://a:1", "--fast"])).toContain(
      "unknown option: --fast",
    );
    expect(captureError(["--servers", "http://a:1", "--seed"])).toBe(
      "missing value for --seed",
    );
    expect(captureError([])).toContain("missing --servers");
  });
});
