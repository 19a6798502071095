// Cron schedules in words and as the next run times. Browser-safe (the plan form uses it live),
// and built on cron-parser, the very library BullMQ's job schedulers use, so the times shown are
// the times the worker will run.
import cronParser from "cron-parser";
import cronstrue from "cronstrue";

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Null when the pattern is valid; else what is wrong, in words. */
export function cronProblem(cron: string, tz = "UTC"): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return "a cron pattern has 5 fields (minute hour day month weekday), or 6 with seconds first";
  if (!isValidTimeZone(tz)) return `unknown time zone "${tz}"`;
  try {
    cronParser.parseExpression(cron, { tz });
    return null;
  } catch (err) {
    return `not a valid cron pattern: ${(err as Error).message}`;
  }
}

export function describeCron(cron: string): string {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return "";
  }
}

/** The next `count` run times after `from`, as BullMQ computes them. */
export function nextRuns(cron: string, tz: string, count = 5, from: Date = new Date()): Date[] {
  const it = cronParser.parseExpression(cron, { tz, currentDate: from });
  const out: Date[] = [];
  for (let i = 0; i < count; i++) out.push(it.next().toDate());
  return out;
}

/** The latest scheduled time at or before `at` (null if the pattern never fired before it). */
export function previousRun(cron: string, tz: string, at: Date = new Date()): Date | null {
  try {
    const it = cronParser.parseExpression(cron, { tz, currentDate: new Date(at.getTime() + 1) });
    return it.prev().toDate();
  } catch {
    return null;
  }
}
