import { describe, expect, it } from "vitest";
import { cronProblem, describeCron, nextRuns, previousRun } from "./schedule";
import { parseToolVersion, checkToolVersion } from "./pg-tools";

describe("schedules", () => {
  it("says a pattern in words and gives the next runs in the plan's time zone", () => {
    expect(describeCron("0 3 * * *")).toBe("At 03:00");
    const from = new Date("2026-11-25T12:00:00Z");
    // 03:00 in Paris is 02:00 UTC in winter.
    expect(nextRuns("0 3 * * *", "Europe/Paris", 3, from).map((d) => d.toISOString())).toEqual([
      "2026-11-26T02:00:00.000Z",
      "2026-11-27T02:00:00.000Z",
      "2026-11-28T02:00:00.000Z",
    ]);
    expect(previousRun("*/15 * * * *", "UTC", new Date("2026-11-25T12:07:00Z"))?.toISOString()).toBe("2026-11-25T12:00:00.000Z");
  });

  it("names what is wrong with a pattern or a time zone", () => {
    expect(cronProblem("0 3 * * *", "UTC")).toBeNull();
    expect(cronProblem("0 3 * *")).toMatch(/5 fields/);
    expect(cronProblem("61 3 * * *")).toMatch(/not a valid cron pattern/);
    expect(cronProblem("0 3 * * *", "Mars/Olympus")).toBe('unknown time zone "Mars/Olympus"');
  });
});

describe("tool versions", () => {
  it("reads pg_dump --version and refuses a tool older than the server", () => {
    const v = parseToolVersion("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n");
    expect(v).toMatchObject({ major: 15, minor: 20 });
    expect(() => checkToolVersion("pg_dump", v, { major: 15, minor: 4, text: "15.4" }, "h:5432/db")).not.toThrow();
    expect(() => checkToolVersion("pg_dump", v, { major: 16, minor: 2, text: "16.2" }, "h:5432/db")).toThrow(
      "pg_dump 15.20 is older than the server at h:5432/db (PostgreSQL 16.2): pg_dump must be version 16 or newer. Install postgresql-client-16 on the worker's machine, or point DBMESH_PG_BIN_DIR at its bin directory.",
    );
  });
});
