import { describe, expect, it } from "vitest";
import { retentionVictims, type RetentionCandidate } from "./retention";

const DAY = 24 * 60 * 60 * 1000;
const now = new Date("2026-11-26T12:00:00Z");
const b = (id: string, daysAgo: number, verified = true): RetentionCandidate => ({
  id,
  finishedAt: new Date(now.getTime() - daysAgo * DAY),
  verifiedAt: verified ? new Date(now.getTime() - daysAgo * DAY) : null,
});

describe("retentionVictims", () => {
  const cases: { name: string; backups: RetentionCandidate[]; keep: number | null; days: number | null; expected: string[] }[] = [
    { name: "no policy keeps everything", backups: [b("a", 1), b("b", 2)], keep: null, days: null, expected: [] },
    { name: "keep 2 deletes the older ones", backups: [b("a", 1), b("b", 2), b("c", 3), b("d", 4)], keep: 2, days: null, expected: ["c", "d"] },
    { name: "order of input does not matter", backups: [b("d", 4), b("a", 1), b("c", 3), b("b", 2)], keep: 2, days: null, expected: ["c", "d"] },
    { name: "7 days deletes older than 7 days", backups: [b("a", 1), b("b", 6.9), b("c", 7.1), b("d", 30)], keep: null, days: 7, expected: ["c", "d"] },
    { name: "both: only what is beyond both", backups: [b("a", 10), b("b", 11), b("c", 12), b("d", 1)], keep: 2, days: 5, expected: ["b", "c"] },
    {
      name: "never the newest verified, even beyond keep",
      backups: [b("new1", 1, false), b("new2", 2, false), b("ver", 3, true), b("old", 4, true)],
      keep: 1,
      days: null,
      expected: ["new2", "old"],
    },
    { name: "never the newest verified, even past the age limit", backups: [b("x", 40), b("y", 50)], keep: null, days: 7, expected: ["y"] },
    { name: "with none verified, the newest stays", backups: [b("x", 40, false), b("y", 50, false)], keep: 0, days: null, expected: ["y"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(retentionVictims(c.backups, { keep: c.keep, days: c.days }, now).sort()).toEqual([...c.expected].sort());
    });
  }
});
