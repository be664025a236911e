// Types of the bindings and exports that the pool tests reach.
declare namespace Cloudflare {
  interface Env {
    SESSION_SHARDS?: string;
    SESSION_GUARD: DurableObjectNamespace<
      import("../../durable-objects/session-guard").SessionGuard
    >;
    GLOBAL_LIMITER: DurableObjectNamespace<
      import("../../durable-objects/global-limiter").GlobalLimiter
    >;
  }
  interface Exports {
    default: Fetcher;
  }
}
