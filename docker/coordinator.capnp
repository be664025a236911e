# workerd config of the coordinator process: the Durable Objects behind the
# bundle's `Coordinator` entrypoint, reachable over HTTP by the backends.
# Addresses and the storage folder are set on the command line:
#   workerd serve docker/coordinator.capnp \
#     --socket-addr coordinator=127.0.0.1:8790 \
#     --directory-path coordinator-storage=.data/coordinator
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  # Caps V8's old generation, so full garbage collections come sooner and
  # free the native memory each finished request leaves behind (see
  # backend.capnp). The live heap is bounded: the shared guards keep at most
  # 16,000 idle sessions between them, plus the global log and recent
  # admissions.
  # With the flag the process stayed at 204-207 MB from 20,000 to 100,000
  # fresh session ids, against 252 MB without it
  # (`npm run bench:memory -- --rounds 20`).
  v8Flags = ["--max-old-space-size=64"],
  services = [
    (name = "limiter", worker = .limiterWorker),
    (name = "coordinator-storage", disk = (writable = true)),
  ],
  sockets = [
    ( name = "coordinator",
      address = "127.0.0.1:8790",
      http = (),
      service = (name = "limiter", entrypoint = "Coordinator"),
    ),
  ],
);

const limiterWorker :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "../dist/index.js")],
  compatibilityDate = "2026-04-01",
  bindings = [
    (name = "SESSION_GUARD", durableObjectNamespace = "SessionGuard"),
    (name = "GLOBAL_LIMITER", durableObjectNamespace = "GlobalLimiter"),
    (name = "COORDINATOR_SECRET", fromEnvironment = "COORDINATOR_SECRET"),
    (name = "GLOBAL_LIMIT", fromEnvironment = "GLOBAL_LIMIT"),
    (name = "GLOBAL_WINDOW_SECONDS", fromEnvironment = "GLOBAL_WINDOW_SECONDS"),
    (name = "SESSION_LIMIT", fromEnvironment = "SESSION_LIMIT"),
    (name = "SESSION_WINDOW_SECONDS", fromEnvironment = "SESSION_WINDOW_SECONDS"),
    (name = "ANOMALY_MODE", fromEnvironment = "ANOMALY_MODE"),
    (name = "RISK_PERIOD_SECONDS", fromEnvironment = "RISK_PERIOD_SECONDS"),
    (name = "QUARANTINE_SECONDS", fromEnvironment = "QUARANTINE_SECONDS"),
    (name = "QUARANTINE_MIN_FOREIGN", fromEnvironment = "QUARANTINE_MIN_FOREIGN"),
    (name = "QUARANTINE_FOREIGN_PERCENT", fromEnvironment = "QUARANTINE_FOREIGN_PERCENT"),
    (name = "OWNER_CONFIRMATIONS", fromEnvironment = "OWNER_CONFIRMATIONS"),
    (name = "MAX_OWNER_CANDIDATES", fromEnvironment = "MAX_OWNER_CANDIDATES"),
    (name = "IPV4_NETWORK_PREFIX", fromEnvironment = "IPV4_NETWORK_PREFIX"),
    (name = "IPV6_NETWORK_PREFIX", fromEnvironment = "IPV6_NETWORK_PREFIX"),
    (name = "SESSION_SHARDS", fromEnvironment = "SESSION_SHARDS"),
  ],
  durableObjectNamespaces = [
    (className = "SessionGuard", uniqueKey = "edge-session-guard-SessionGuard", enableSql = true),
    (className = "GlobalLimiter", uniqueKey = "edge-session-guard-GlobalLimiter", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "coordinator-storage"),
);
