import { createApp } from "./app";

/** The public edge: a stateless Hono app. */
export default createApp();

export { Coordinator } from "../durable-objects/coordinator";
export { SessionGuard } from "../durable-objects/session-guard";
export { GlobalLimiter } from "../durable-objects/global-limiter";
