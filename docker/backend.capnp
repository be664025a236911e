# workerd config of one stateless backend: the bundle's default export (the
# Hono edge), with the LIMITER binding sent over HTTP to the coordinator.
# Addresses are set on the command line:
#   workerd serve docker/backend.capnp \
#     --socket-addr http=127.0.0.1:8080 \
#     --external-addr coordinator=127.0.0.1:8790
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  # The backend keeps no state, so its JavaScript heap stays small. workerd
  # frees the native memory behind each finished request only at a full V8
  # garbage collection, which V8 times by the size of its heap. With the
  # default limit each backend's resident memory was 179 MB and still rising
  # after 50,000 requests. With this flag it stayed at 113-115 MB from the
  # 32,500th request to the 50,000th (`npm run bench:memory -- --rounds 20`).
  v8Flags = ["--max-old-space-size=16"],
  services = [
    (name = "edge", worker = .edgeWorker),
    (name = "coordinator", external = (address = "127.0.0.1:8790", http = ())),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:8080", http = (), service = "edge"),
  ],
);

const edgeWorker :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "../dist/index.js")],
  compatibilityDate = "2026-04-01",
  bindings = [
    (name = "LIMITER", service = "coordinator"),
    (name = "COORDINATOR_SECRET", fromEnvironment = "COORDINATOR_SECRET"),
    (name = "BACKEND_NAME", fromEnvironment = "BACKEND_NAME"),
    (name = "GLOBAL_LIMIT", fromEnvironment = "GLOBAL_LIMIT"),
    (name = "GLOBAL_WINDOW_SECONDS", fromEnvironment = "GLOBAL_WINDOW_SECONDS"),
    (name = "SESSION_LIMIT", fromEnvironment = "SESSION_LIMIT"),
    (name = "SESSION_WINDOW_SECONDS", fromEnvironment = "SESSION_WINDOW_SECONDS"),
    (name = "COORDINATOR_TIMEOUT_MS", fromEnvironment = "COORDINATOR_TIMEOUT_MS"),
    (name = "FAIL_MODE", fromEnvironment = "FAIL_MODE"),
    (name = "MAX_BODY_BYTES", fromEnvironment = "MAX_BODY_BYTES"),
    (name = "CLIENT_IP_HEADER", fromEnvironment = "CLIENT_IP_HEADER"),
    (name = "ANOMALY_MODE", fromEnvironment = "ANOMALY_MODE"),
    (name = "RISK_PERIOD_SECONDS", fromEnvironment = "RISK_PERIOD_SECONDS"),
    (name = "QUARANTINE_SECONDS", fromEnvironment = "QUARANTINE_SECONDS"),
    (name = "QUARANTINE_MIN_FOREIGN", fromEnvironment = "QUARANTINE_MIN_FOREIGN"),
    (name = "QUARANTINE_FOREIGN_PERCENT", fromEnvironment = "QUARANTINE_FOREIGN_PERCENT"),
    (name = "OWNER_CONFIRMATIONS", fromEnvironment = "OWNER_CONFIRMATIONS"),
    (name = "MAX_OWNER_CANDIDATES", fromEnvironment = "MAX_OWNER_CANDIDATES"),
    (name = "IPV4_NETWORK_PREFIX", fromEnvironment = "IPV4_NETWORK_PREFIX"),
    (name = "IPV6_NETWORK_PREFIX", fromEnvironment = "IPV6_NETWORK_PREFIX"),
  ],
);
