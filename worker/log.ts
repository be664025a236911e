/** Fields of one structured log event; values must already be safe to log. */
export type LogFields = Record<
  string,
  string | number | boolean | null | undefined
>;

/**
 * Writes one JSON object per event to stdout (workerd forwards console output
 * to the process's stdout and Cloudflare to Workers Logs).
 */
export function logEvent(event: string, fields: LogFields): void {
  console.log(
    JSON.stringify({ time: new Date().toISOString(), event, ...fields }),
  );
}

/** Writes a warning event to stderr. */
export function logWarning(event: string, fields: LogFields): void {
  console.warn(
    JSON.stringify({
      time: new Date().toISOString(),
      level: "warn",
      event,
      ...fields,
    }),
  );
}
