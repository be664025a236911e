import { readFileSync } from "node:fs";

/**
 * Returns the resident set size of a process in MiB, read from
 * /proc/PID/status, or null when the process or /proc is not there.
 */
export function readRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}
