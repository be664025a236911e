/**
 * A minimal HTTP/1.1 client over a raw socket, for requests that Node's fetch
 * refuses to send: control characters in header values and broken framing.
 */
import net from "node:net";
import type { SendOptions, SentResponse } from "./harness";

/** Parses a raw HTTP/1.1 response, or returns undefined while incomplete. */
export function parseRawResponse(
  raw: Buffer,
  method: string,
  closed: boolean,
): SentResponse | undefined {
  const headEnd = raw.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [statusLine = "", ...fieldLines] = raw
    .subarray(0, headEnd)
    .toString("latin1")
    .split("\r\n");
  const headers = new Headers();
  for (const line of fieldLines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const status = Number(statusLine.split(" ")[1]);
  const bodyBytes = raw.subarray(headEnd + 4);
  const expectedLength = Number(headers.get("content-length") ?? NaN);
  const bodyless = method === "HEAD" || status === 204 || status === 304;
  if (!bodyless && !closed && !(bodyBytes.length >= expectedLength)) {
    return undefined;
  }
  const text = bodyless ? "" : bodyBytes.toString("utf8");
  let body: Record<string, unknown> = {};
  try {
    body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { unparsed: text };
  }
  return { status, headers, body };
}

/**
 * Sends one request over a raw socket, so header values may contain control
 * characters, which Node's fetch rejects. The body is sent with
 * Content-Length or as one well-formed chunk.
 */
export function sendOverSocket(
  base: string,
  options: SendOptions,
  chunked: boolean,
): Promise<SentResponse> {
  const url = new URL(base);
  const method = options.method ?? "POST";
  const body = Buffer.from(options.body ?? "", "latin1");
  const fields = {
    host: url.host,
    "x-session-id": options.sessionId ?? "s-default",
    "x-ip-address": options.ipAddress ?? "203.0.113.7",
    "user-agent": options.userAgent ?? "T/1",
    ...options.headers,
  };
  const head = [`${method} ${options.path ?? "/send"} HTTP/1.1`];
  for (const [name, value] of Object.entries(fields)) {
    head.push(`${name}: ${value}`);
  }
  head.push(
    chunked ? "transfer-encoding: chunked" : `content-length: ${body.length}`,
  );
  const framedBody = chunked
    ? Buffer.concat([
        body.length > 0
          ? Buffer.from(`${body.length.toString(16)}\r\n`, "latin1")
          : Buffer.alloc(0),
        body,
        Buffer.from(body.length > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n", "latin1"),
      ])
    : body;
  const request = Buffer.concat([
    Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"),
    framedBody,
  ]);

  return sendRawBytes(base, request, { method });
}

/**
 * Sends `request` bytes as they are and reads one response. `method` decides
 * whether a body is expected (not for HEAD). With `halfClose`, the socket's
 * write side is closed after sending, as a client that gives up on its body
 * would.
 */
export function sendRawBytes(
  base: string,
  request: Buffer,
  { method = "POST", halfClose = false } = {},
): Promise<SentResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    socket.setTimeout(15_000, () =>
      socket.destroy(new Error("no complete response within 15 s")),
    );
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = parseRawResponse(received, method, false);
      if (response) {
        socket.destroy();
        resolve(response);
      }
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const response = parseRawResponse(received, method, true);
      if (response) resolve(response);
      else reject(new Error("connection closed before a response"));
    });
    socket.write(request);
    if (halfClose) socket.end();
  });
}
