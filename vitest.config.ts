import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// The worker logs one JSON line per decision; keep test output readable.
function isNotStructuredLog(log: string): boolean {
  return !log.startsWith('{"time"');
}

export default defineConfig({
  test: {
    onConsoleLog: isNotStructuredLog,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: "./worker/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
        },
      },
      {
        // Windows of one second, for tests of expiry and cleanup.
        plugins: [
          cloudflareTest({
            main: "./worker/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                GLOBAL_WINDOW_SECONDS: "1",
                SESSION_WINDOW_SECONDS: "1",
                RISK_PERIOD_SECONDS: "1",
                QUARANTINE_SECONDS: "1",
              },
            },
          }),
        ],
        test: {
          name: "workers-short",
          include: ["test/workers-short/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // Each file starts its own workerd processes on free ports.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
