import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "../../worker/config";

const backend = readFileSync(
  new URL("../../docker/backend.capnp", import.meta.url),
  "utf8",
);
const coordinator = readFileSync(
  new URL("../../docker/coordinator.capnp", import.meta.url),
  "utf8",
);

function boundNames(config: string): Set<string> {
  return new Set(
    [...config.matchAll(/fromEnvironment = "([A-Z0-9_]+)"/g)].map(
      (match) => match[1]!,
    ),
  );
}

describe("workerd configs", () => {
  it("pass every setting but the shard count to the backend", () => {
    const names = boundNames(backend);
    const backendKeys = CONFIG_KEYS.filter((key) => key !== "SESSION_SHARDS");
    for (const key of backendKeys) expect(names, key).toContain(key);
  });

  it("pass the limits and anomaly settings to the coordinator", () => {
    const names = boundNames(coordinator);
    const coordinatorKeys = CONFIG_KEYS.filter(
      (key) =>
        ![
          "COORDINATOR_TIMEOUT_MS",
          "FAIL_MODE",
          "MAX_BODY_BYTES",
          "BACKEND_NAME",
          "CLIENT_IP_HEADER",
        ].includes(key),
    );
    for (const key of coordinatorKeys) expect(names, key).toContain(key);
  });
});
