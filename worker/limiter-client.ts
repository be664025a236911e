import {
  CANCEL_PATH,
  DECIDE_PATH,
  READY_PATH,
  SECRET_HEADER,
  type CancelRequest,
  type Decision,
  type DecisionRequest,
} from "../durable-objects/protocol";

/** The edge's view of the coordinator binding and its secret. */
export interface LimiterBindings {
  LIMITER: Fetcher;
  COORDINATOR_SECRET?: string;
}

/** Raised when the coordinator cannot give a decision in time. */
export class LimiterUnavailableError extends Error {
  override name = "LimiterUnavailableError";
}

// The host is ignored by service bindings; workerd's external service sends
// the request to the configured address.
const COORDINATOR_ORIGIN = "http://coordinator";

async function callCoordinator(
  env: LimiterBindings,
  path: string,
  init: RequestInit,
  timeoutMs: number,
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (env.COORDINATOR_SECRET)
    headers.set(SECRET_HEADER, env.COORDINATOR_SECRET);

  let response: Response;
  try {
    response = await env.LIMITER.fetch(`${COORDINATOR_ORIGIN}${path}`, {
      ...init,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const detail =
      error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
    throw new LimiterUnavailableError(`coordinator call failed: ${detail}`);
  }

  if (!response.ok) {
    const body = (await response.text().catch(() => "")).slice(0, 200);
    throw new LimiterUnavailableError(
      `coordinator returned status ${response.status}: ${body}`,
    );
  }
  return response;
}

/** Asks the coordinator to decide one request, within `timeoutMs`. */
export async function requestDecision(
  env: LimiterBindings,
  request: DecisionRequest,
  timeoutMs: number,
): Promise<Decision> {
  const response = await callCoordinator(
    env,
    DECIDE_PATH,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    },
    timeoutMs,
  );
  try {
    return (await response.json()) as Decision;
  } catch (error) {
    throw new LimiterUnavailableError(
      `coordinator sent invalid JSON: ${String(error)}`,
    );
  }
}

/**
 * Asks the coordinator to give back any admission made for a request that
 * the edge rejected with 503 after its timeout. Returns whether one was released.
 */
export async function cancelDecision(
  env: LimiterBindings,
  request: CancelRequest,
  timeoutMs: number,
): Promise<boolean> {
  const response = await callCoordinator(
    env,
    CANCEL_PATH,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    },
    timeoutMs,
  );
  const body = (await response.json()) as { released?: boolean };
  return body.released === true;
}

/** Checks that the coordinator and its Durable Objects respond. */
export async function checkCoordinatorReady(
  env: LimiterBindings,
  timeoutMs: number,
): Promise<void> {
  const response = await callCoordinator(
    env,
    READY_PATH,
    { method: "GET" },
    timeoutMs,
  );
  await response.body?.cancel();
}
