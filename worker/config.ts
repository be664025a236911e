/**
 * Runtime settings shared by the edge, the Durable Objects and the launcher.
 * Every value comes from an environment variable (a workerd `fromEnvironment`
 * binding, a wrangler `[vars]` entry or `process.env`) and is validated once.
 */

/** Validated settings. Durations are whole seconds or milliseconds as named. */
export interface LimiterConfig {
  /** Requests admitted in any rolling global window. @default 30 */
  globalLimit: number;
  /** @default 60 */
  globalWindowSeconds: number;
  /** Requests admitted per session id in any rolling window. @default 5 */
  sessionLimit: number;
  /** @default 60 */
  sessionWindowSeconds: number;
  /** How long the edge waits for the coordinator. @default 500 */
  coordinatorTimeoutMs: number;
  /** Policy of the edge when the coordinator fails. @default "closed" */
  failMode: "closed" | "open";
  /** Largest accepted `/send` body in bytes. @default 16384 */
  maxBodyBytes: number;
  /** Name of this backend in logs. @default "edge" */
  backendName: string;
  /**
   * Lower-case name of the header that carries the client's address. Only a
   * header set by a trusted proxy should be named here. @default "x-ip-address"
   */
  clientIpHeader: string;
  /** "enforce" blocks suspicious requests; "monitor" only reports them. */
  anomalyMode: "enforce" | "monitor";
  /** How far back foreign requests count toward quarantine. @default 600 */
  riskPeriodSeconds: number;
  /** How long a quarantine lasts. @default 900 */
  quarantineSeconds: number;
  /** Foreign requests in the risk period before quarantine. @default 5 */
  quarantineMinForeign: number;
  /** Share of a session's requests that must be foreign, percent. @default 20 */
  quarantineForeignPercent: number;
  /** Sightings that make a fingerprint the session's owner. @default 2 */
  ownerConfirmations: number;
  /** Unconfirmed fingerprints remembered before an owner exists. @default 3 */
  maxOwnerCandidates: number;
  /** IPv4 prefix length of "the same network". @default 24 */
  ipv4NetworkPrefix: number;
  /** IPv6 prefix length of "the same network". @default 64 */
  ipv6NetworkPrefix: number;
  /**
   * Number of SessionGuard objects that share the session ids, or 0 for one
   * object per session id. @default 0
   */
  sessionShards: number;
}

export type ConfigSource = Record<string, unknown>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

interface IntegerSetting {
  key: string;
  fallback: number;
  min: number;
  max: number;
}

const INTEGER_SETTINGS = {
  globalLimit: { key: "GLOBAL_LIMIT", fallback: 30, min: 1, max: 100_000 },
  globalWindowSeconds: {
    key: "GLOBAL_WINDOW_SECONDS",
    fallback: 60,
    min: 1,
    max: 86_400,
  },
  sessionLimit: { key: "SESSION_LIMIT", fallback: 5, min: 1, max: 10_000 },
  sessionWindowSeconds: {
    key: "SESSION_WINDOW_SECONDS",
    fallback: 60,
    min: 1,
    max: 86_400,
  },
  coordinatorTimeoutMs: {
    key: "COORDINATOR_TIMEOUT_MS",
    fallback: 500,
    min: 10,
    max: 60_000,
  },
  maxBodyBytes: {
    key: "MAX_BODY_BYTES",
    fallback: 16_384,
    min: 0,
    max: 1_048_576,
  },
  riskPeriodSeconds: {
    key: "RISK_PERIOD_SECONDS",
    fallback: 600,
    min: 1,
    max: 604_800,
  },
  quarantineSeconds: {
    key: "QUARANTINE_SECONDS",
    fallback: 900,
    min: 1,
    max: 604_800,
  },
  quarantineMinForeign: {
    key: "QUARANTINE_MIN_FOREIGN",
    fallback: 5,
    min: 1,
    max: 10_000,
  },
  quarantineForeignPercent: {
    key: "QUARANTINE_FOREIGN_PERCENT",
    fallback: 20,
    min: 0,
    max: 100,
  },
  ownerConfirmations: {
    key: "OWNER_CONFIRMATIONS",
    fallback: 2,
    min: 1,
    max: 100,
  },
  maxOwnerCandidates: {
    key: "MAX_OWNER_CANDIDATES",
    fallback: 3,
    min: 1,
    max: 20,
  },
  ipv4NetworkPrefix: {
    key: "IPV4_NETWORK_PREFIX",
    fallback: 24,
    min: 0,
    max: 32,
  },
  ipv6NetworkPrefix: {
    key: "IPV6_NETWORK_PREFIX",
    fallback: 64,
    min: 0,
    max: 128,
  },
  sessionShards: {
    key: "SESSION_SHARDS",
    fallback: 0,
    min: 0,
    // Each live guard keeps a SQLite database open in the coordinator, so a
    // larger count brings back the memory growth that sharding avoids.
    max: 256,
  },
} satisfies Record<string, IntegerSetting>;

/** Names of every setting this module reads, for launchers that pass them on. */
export const CONFIG_KEYS = [
  ...Object.values(INTEGER_SETTINGS).map((setting) => setting.key),
  "FAIL_MODE",
  "BACKEND_NAME",
  "ANOMALY_MODE",
  "CLIENT_IP_HEADER",
] as const;

function readText(source: ConfigSource, key: string): string | undefined {
  const value = source[key];
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === "" ? undefined : text;
}

function readInteger(source: ConfigSource, setting: IntegerSetting): number {
  const text = readText(source, setting.key);
  if (text === undefined) return setting.fallback;

  if (!/^[0-9]+$/.test(text)) {
    throw new ConfigError(
      `${setting.key}=${JSON.stringify(text)} is invalid: expected a whole number from ${setting.min} to ${setting.max}`,
    );
  }
  const value = Number(text);
  if (value < setting.min || value > setting.max) {
    throw new ConfigError(
      `${setting.key}=${text} is out of range: expected ${setting.min} to ${setting.max}`,
    );
  }
  return value;
}

function readFailMode(source: ConfigSource): "closed" | "open" {
  const text = readText(source, "FAIL_MODE")?.toLowerCase() ?? "closed";
  if (text !== "closed" && text !== "open") {
    throw new ConfigError(
      `FAIL_MODE=${JSON.stringify(text)} is invalid: expected "closed" or "open"`,
    );
  }
  return text;
}

function readAnomalyMode(source: ConfigSource): "enforce" | "monitor" {
  const text = readText(source, "ANOMALY_MODE")?.toLowerCase() ?? "enforce";
  if (text !== "enforce" && text !== "monitor") {
    throw new ConfigError(
      `ANOMALY_MODE=${JSON.stringify(text)} is invalid: expected "enforce" or "monitor"`,
    );
  }
  return text;
}

function readClientIpHeader(source: ConfigSource): string {
  const text =
    readText(source, "CLIENT_IP_HEADER")?.toLowerCase() ?? "x-ip-address";
  if (!/^[a-z0-9-]{1,64}$/.test(text)) {
    throw new ConfigError(
      `CLIENT_IP_HEADER=${JSON.stringify(text)} is invalid: use a header name of letters, digits and '-'`,
    );
  }
  return text;
}

function readBackendName(source: ConfigSource): string {
  const text = readText(source, "BACKEND_NAME") ?? "edge";
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(text)) {
    throw new ConfigError(
      `BACKEND_NAME=${JSON.stringify(text)} is invalid: use 1-64 letters, digits, '.', '_' or '-'`,
    );
  }
  return text;
}

/** Parses and validates every setting; throws ConfigError naming the bad one. */
export function parseConfig(source: ConfigSource): LimiterConfig {
  const integers = Object.fromEntries(
    Object.entries(INTEGER_SETTINGS).map(([name, setting]) => [
      name,
      readInteger(source, setting),
    ]),
  ) as Record<keyof typeof INTEGER_SETTINGS, number>;

  return {
    ...integers,
    failMode: readFailMode(source),
    backendName: readBackendName(source),
    anomalyMode: readAnomalyMode(source),
    clientIpHeader: readClientIpHeader(source),
  };
}

const cache = new WeakMap<object, LimiterConfig>();

/**
 * Returns the validated config for a Workers `env` object, parsing it once.
 * The same `env` object is passed to every request of an isolate.
 */
export function configFromEnv(env: object): LimiterConfig {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env as ConfigSource);
    cache.set(env, config);
  }
  return config;
}
