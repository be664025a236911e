/**
 * Plain-text rendering of the final report.
 */
import type {
  BlockRate,
  SessionReport,
  SimulationReport,
  WindowCheck,
} from "./simulation-report.ts";

function formatPercent(rate: number | null): string {
  return rate === null ? "n/a" : `${(rate * 100).toFixed(2)} %`;
}

function formatNumberOrNone(value: number | null): string {
  return value === null ? "n/a" : String(value);
}

function formatLabelRows(rows: readonly [string, string | number][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
}

function formatBlockRate(
  label: string,
  group: string,
  rate: BlockRate,
): string {
  return (
    `  ${label}: ${rate.blocked} of ${rate.requests} ${group} got 403 ` +
    `(${formatPercent(rate.rate)}; among 200/403 responses ` +
    `${formatPercent(rate.rateAmongDecided)})`
  );
}

function formatWindowCheck(label: string, check: WindowCheck): string {
  const status = check.withinLimit ? "within limit" : "LIMIT EXCEEDED";
  return (
    `  ${label}: max ${check.maxAdmitted} admitted in any ` +
    `${check.windowSeconds} s window (limit ${check.limit}): ${status}`
  );
}

const SESSION_COLUMNS: readonly [string, (row: SessionReport) => string][] = [
  ["session", (row) => row.sessionId],
  ["client", (row) => String(row.clientIndex)],
  ["score", (row) => String(row.score)],
  ["requests", (row) => String(row.requests)],
  ["sent", (row) => String(row.sent)],
  ["200", (row) => String(row.admitted)],
  ["429", (row) => String(row.rateLimited)],
  ["403", (row) => String(row.blocked)],
  ["foreign", (row) => String(row.foreignRequests)],
  ["foreign 403", (row) => String(row.foreignBlocked)],
  ["max in window", (row) => String(row.maxAdmittedInWindow)],
];

function formatSessionTable(sessions: readonly SessionReport[]): string[] {
  const cells = sessions.map((row) =>
    SESSION_COLUMNS.map(([, readCell]) => readCell(row)),
  );
  const widths = SESSION_COLUMNS.map(([heading], column) =>
    Math.max(
      heading.length,
      ...cells.map((rowCells) => rowCells[column]!.length),
    ),
  );
  const formatRow = (rowCells: readonly string[]): string =>
    "  " +
    rowCells
      .map((cell, column) =>
        column === 0
          ? cell.padEnd(widths[column]!)
          : cell.padStart(widths[column]!),
      )
      .join("  ");
  return [
    formatRow(SESSION_COLUMNS.map(([heading]) => heading)),
    ...cells.map(formatRow),
  ];
}

/** Renders the report as human-readable text, ending with a newline. */
export function formatReportText(report: SimulationReport): string {
  const { run, totals, rollingWindow, detection } = report;
  const lines: string[] = [];

  lines.push("Traffic simulator report");
  lines.push(`  servers: ${run.serverUrls.join(", ")}`);
  lines.push(
    `  seed ${run.seed}, ${run.clients} client loop(s), ran ` +
      `${run.elapsedSeconds.toFixed(1)} s (stopped by ${run.stopReason}), ` +
      `client defects ${run.clientDefects ? "on" : "off"}`,
  );
  lines.push(
    `  limits judged: global ${run.limits.globalLimit} per ` +
      `${run.limits.globalWindowSeconds} s, session ${run.limits.sessionLimit} ` +
      `per ${run.limits.sessionWindowSeconds} s`,
  );

  lines.push("", "Traffic");
  lines.push(
    ...formatLabelRows([
      ["requests sent (attempts)", totals.attemptsSent],
      ["admitted (2xx)", totals.admitted],
      ["rate limited (429)", totals.rateLimited],
      ["blocked (403)", totals.blocked],
      ["rejected (other 4xx)", totals.rejected],
      [
        "errors (5xx + network)",
        `${totals.errors} (5xx ${totals.serverErrors}, network ` +
          `${totals.networkErrors}, deadline exceeded ${totals.deadlineExceeded})`,
      ],
      ["cancelled at stop", totals.cancelled],
      ["would_block verdicts", totals.wouldBlock],
      ["requests (1-3 attempts)", totals.requests],
      ["gave up (wait past deadline)", totals.gaveUp],
      ["exhausted (3 x 429)", totals.exhausted],
    ]),
  );

  const reasonRows = Object.entries(report.reasons);
  if (reasonRows.length > 0) {
    lines.push("", "Responses by status and reason");
    lines.push(...formatLabelRows(reasonRows));
  }

  const errorRows = Object.entries(report.errorMessages);
  if (errorRows.length > 0) {
    lines.push("", "Errors by message");
    lines.push(
      ...formatLabelRows(
        errorRows.map(([text, count]) => [String(count), text]),
      ),
    );
  }

  if (report.servers.length > 0) {
    lines.push("", "Servers (attempts / admitted)");
    lines.push(
      ...formatLabelRows(
        report.servers.map((server) => [
          server.serverUrl,
          `${server.attemptsSent} / ${server.admitted}`,
        ]),
      ),
    );
  }

  lines.push("", "Rolling window (from admittedAt)");
  lines.push(formatWindowCheck("global", rollingWindow.global));
  lines.push(
    formatWindowCheck("per session", rollingWindow.session) +
      (rollingWindow.session.sessionId === null
        ? ""
        : ` (busiest: ${rollingWindow.session.sessionId})`),
  );
  lines.push(
    `  admissions timed on arrival (no admittedAt): ` +
      `${rollingWindow.admittedWithoutServerTime}`,
  );

  const quarantine = detection.quarantine;
  lines.push("", "Detection (from ground truth)");
  lines.push(formatBlockRate("recall", "foreign requests", detection.foreign));
  lines.push(
    formatBlockRate("owner false blocks", "owner requests", detection.owner),
  );
  lines.push(
    formatBlockRate(
      `owner false blocks, score < ${detection.lowScoreBelow}`,
      "owner requests",
      detection.lowScoreOwner,
    ),
  );
  lines.push(
    `  quarantine, score >= ${quarantine.minScore}: ` +
      `${quarantine.sessionsQuarantined} of ${quarantine.sessionsWithForeign} ` +
      `sessions with foreign requests quarantined; requests from first ` +
      `foreign to quarantine: median ` +
      `${formatNumberOrNone(quarantine.medianRequestsToQuarantine)}, max ` +
      `${formatNumberOrNone(quarantine.maxRequestsToQuarantine)}`,
  );
  lines.push(
    `  would_block (monitor mode): ${detection.monitor.foreignFlagged} ` +
      `foreign requests, ${detection.monitor.ownerFlagged} owner requests`,
  );

  lines.push("", `Sessions (${report.sessions.length})`);
  lines.push(...formatSessionTable(report.sessions));

  lines.push("");
  if (report.verdict.passed) {
    lines.push("Result: PASS (admissions stayed within both limits)");
  } else {
    lines.push("Result: FAIL");
    lines.push(...report.verdict.violations.map((text) => `  ${text}`));
  }
  return lines.join("\n") + "\n";
}
