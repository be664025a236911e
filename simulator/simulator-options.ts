/**
 * Command-line flags of the simulator, with environment variable fallbacks
 * and validation. A flag wins over its environment variable.
 */

/** Validated settings of one simulator run. */
export interface SimulatorOptions {
  serverUrls: string[];
  /** Run length in seconds, or null to run until SIGINT/SIGTERM. */
  durationSeconds: number | null;
  /** Seed of all random choices, or null to draw a fresh one. */
  seed: number | null;
  clients: number;
  json: boolean;
  quiet: boolean;
  clientDefects: boolean;
  globalLimit: number;
  globalWindowSeconds: number;
  sessionLimit: number;
  sessionWindowSeconds: number;
}

/** Result of parsing: either run with options, or print the usage text. */
export type ParsedCommand =
  { kind: "run"; options: SimulatorOptions } | { kind: "help" };

/** Invalid command line or environment; the CLI exits with status 2. */
export class OptionsError extends Error {
  override name = "OptionsError";
}

/** Upper bound of `--clients`, to keep one process within reason. */
export const MAX_CLIENTS = 1000;

type ValueParser<T> = (text: string) => T | null;

interface ValueOption<T> {
  flag: string;
  envName: string;
  expected: string;
  parse: ValueParser<T>;
}

const parsePositiveInteger =
  (max: number): ValueParser<number> =>
  (text) => {
    if (!/^\d+$/.test(text)) {
      return null;
    }
    const value = Number(text);
    return value >= 1 && value <= max ? value : null;
  };

const parseSeed: ValueParser<number> = (text) => {
  if (!/^\d+$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
};

const parsePositiveSeconds: ValueParser<number> = (text) => {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return value > 0 && Number.isFinite(value) ? value : null;
};

const parseServerUrls: ValueParser<string[]> = (text) => {
  const urls: string[] = [];
  for (const entry of text.split(",")) {
    const trimmed = entry.trim();
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      return null;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return null;
    }
    urls.push(trimmed.replace(/\/+$/, ""));
  }
  return urls.length > 0 ? urls : null;
};

const VALUE_OPTIONS = {
  servers: {
    flag: "--servers",
    envName: "SERVERS",
    expected: "comma-separated http(s) base URLs",
    parse: parseServerUrls,
  },
  durationSeconds: {
    flag: "--duration",
    envName: "SIMULATOR_DURATION_SECONDS",
    expected: "a number of seconds > 0",
    parse: parsePositiveSeconds,
  },
  seed: {
    flag: "--seed",
    envName: "SIMULATOR_SEED",
    expected: `an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
    parse: parseSeed,
  },
  clients: {
    flag: "--clients",
    envName: "SIMULATOR_CLIENTS",
    expected: `an integer from 1 to ${MAX_CLIENTS}`,
    parse: parsePositiveInteger(MAX_CLIENTS),
  },
  globalLimit: {
    flag: "--global-limit",
    envName: "GLOBAL_LIMIT",
    expected: "an integer >= 1",
    parse: parsePositiveInteger(Number.MAX_SAFE_INTEGER),
  },
  globalWindowSeconds: {
    flag: "--global-window",
    envName: "GLOBAL_WINDOW_SECONDS",
    expected: "a number of seconds > 0",
    parse: parsePositiveSeconds,
  },
  sessionLimit: {
    flag: "--session-limit",
    envName: "SESSION_LIMIT",
    expected: "an integer >= 1",
    parse: parsePositiveInteger(Number.MAX_SAFE_INTEGER),
  },
  sessionWindowSeconds: {
    flag: "--session-window",
    envName: "SESSION_WINDOW_SECONDS",
    expected: "a number of seconds > 0",
    parse: parsePositiveSeconds,
  },
} satisfies Record<string, ValueOption<unknown>>;

const BOOLEAN_FLAGS = {
  "--json": "json",
  "--quiet": "quiet",
  "--client-defects": "clientDefects",
} as const;

/** Usage text for `--help`. */
export const USAGE_TEXT = `Usage: npx tsx simulator/cli.ts --servers URL[,URL...] [options]

Reproduces the published traffic client against the rate limiter and
reports what it observed. Flags win over the environment variables named.

  --servers URL,URL     base URLs to send to (SERVERS), required
  --duration SECONDS    stop after this many seconds (SIMULATOR_DURATION_SECONDS);
                        default: run until SIGINT or SIGTERM
  --seed N              seed of every random choice (SIMULATOR_SEED);
                        default: a fresh seed, printed in the report
  --clients N           independent client loops, 1-${MAX_CLIENTS} (SIMULATOR_CLIENTS); default 1
  --json                print the report as one JSON document on stdout
  --quiet               no progress line on stderr
  --client-defects      sleep past the 5 s deadline like the published client;
                        default: give up a request whose wait would pass it
  --global-limit N      admissions allowed per global window (GLOBAL_LIMIT); default 30
  --global-window S     global window in seconds (GLOBAL_WINDOW_SECONDS); default 60
  --session-limit N     admissions allowed per session window (SESSION_LIMIT); default 5
  --session-window S    session window in seconds (SESSION_WINDOW_SECONDS); default 60
  --help                print this text

The limits only judge the report. Exit status: 0 when admissions stayed
within both limits, 1 when a rolling window exceeded one, 2 for invalid flags.
`;

function parseValue<T>(
  option: ValueOption<T>,
  text: string,
  source: string,
): T {
  const value = option.parse(text);
  if (value === null) {
    throw new OptionsError(
      `invalid value for ${source}: ${JSON.stringify(text)} ` +
        `(expected ${option.expected})`,
    );
  }
  return value;
}

function isValueFlag(flag: string): boolean {
  return Object.values(VALUE_OPTIONS).some((option) => option.flag === flag);
}

/**
 * Parses `argv` (without the node and script paths) and `env`. Throws
 * OptionsError with a message that names the flag or variable and value.
 */
export function parseSimulatorCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommand {
  const flagTexts = new Map<string, string>();
  const booleans = { json: false, quiet: false, clientDefects: false };

  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i]!;
    if (argument === "--help" || argument === "-h") {
      return { kind: "help" };
    }
    if (argument in BOOLEAN_FLAGS) {
      booleans[BOOLEAN_FLAGS[argument as keyof typeof BOOLEAN_FLAGS]] = true;
      continue;
    }
    const equalsAt = argument.indexOf("=");
    const flag = equalsAt === -1 ? argument : argument.slice(0, equalsAt);
    if (!isValueFlag(flag)) {
      throw new OptionsError(`unknown option: ${argument} (see --help)`);
    }
    let text: string | undefined;
    if (equalsAt === -1) {
      i += 1;
      text = argv[i];
    } else {
      text = argument.slice(equalsAt + 1);
    }
    if (text === undefined) {
      throw new OptionsError(`missing value for ${flag}`);
    }
    flagTexts.set(flag, text);
  }

  const readOption = <T>(option: ValueOption<T>): T | null => {
    const flagText = flagTexts.get(option.flag);
    if (flagText !== undefined) {
      return parseValue(option, flagText, option.flag);
    }
    const envText = env[option.envName];
    if (envText !== undefined && envText !== "") {
      return parseValue(option, envText, option.envName);
    }
    return null;
  };

  const serverUrls = readOption(VALUE_OPTIONS.servers);
  if (serverUrls === null) {
    throw new OptionsError(
      "missing --servers (or SERVERS): give comma-separated base URLs, " +
        "such as http://127.0.0.1:8080,http://127.0.0.1:8081",
    );
  }

  return {
    kind: "run",
    options: {
      serverUrls,
      durationSeconds: readOption(VALUE_OPTIONS.durationSeconds),
      seed: readOption(VALUE_OPTIONS.seed),
      clients: readOption(VALUE_OPTIONS.clients) ?? 1,
      ...booleans,
      globalLimit: readOption(VALUE_OPTIONS.globalLimit) ?? 30,
      globalWindowSeconds: readOption(VALUE_OPTIONS.globalWindowSeconds) ?? 60,
      sessionLimit: readOption(VALUE_OPTIONS.sessionLimit) ?? 5,
      sessionWindowSeconds:
        readOption(VALUE_OPTIONS.sessionWindowSeconds) ?? 60,
    },
  };
}
