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

/**
 * POSTs `body` as JSON to a coordinator route within `timeoutMs` and returns
 * the parsed JSON response.
 */
async function postJson<T>(
  env: LimiterBindings,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<T> {
  const response = await callCoordinator(
    env,
    path,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    },
    timeoutMs,
  );
  try {
    return (await response.json()) as T;
  } catch (error) {
    throw new LimiterUnavailableError(
      `coordinator sent invalid JSON: ${String(error)}`,
    );
  }
}

/** Asks the coordinator to decide one request, within `timeoutMs`. */
export function requestDecision(
  env: LimiterBindings,
  request: DecisionRequest,
  timeoutMs: number,
): Promise<Decision> {
  return postJson<Decision>(env, DECIDE_PATH, request, timeoutMs);
}

/**
 * Asks the coordinator to give back any admission made for a request that
 * the edge rejected with 503 after its timeout. Returns whether one was
 * released.
 */
export async function cancelDecision(
  env: LimiterBindings,
  request: CancelRequest,
  timeoutMs: number,
): Promise<boolean> {
  const body = await postJson<{ released?: boolean }>(
    env,
    CANCEL_PATH,
    request,
    timeoutMs,
  );
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
