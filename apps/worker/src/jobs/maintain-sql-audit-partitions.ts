import { defineJob } from "../job";

/**
 * Keeps sql_audit_event's daily partitions: creates the coming days' and drops those past the
 * retention period. Both SQL functions are idempotent, so a retried or doubled run is harmless;
 * every partition created or dropped leaves a row in the control-plane audit log, in the same
 * transaction.
 */
export const maintainSqlAuditPartitions = defineJob({
  queue: "maintenance",
  name: "maintain-sql-audit-partitions",
  async handle({ payload, db, log }) {
    const result = await db.$transaction(async (tx) => {
      const created = await tx.$queryRaw<{ partition: string; outcome: string }[]>`SELECT * FROM sql_audit_ensure_partitions(1, ${payload.daysAhead}::int)`;
      const dropped = await tx.$queryRaw<{ partition: string; outcome: string }[]>`SELECT * FROM sql_audit_drop_expired(${payload.retentionDays}::int)`;
      for (const r of [...created, ...dropped]) {
        await tx.auditEvent.create({
          data: {
            actorKind: "system",
            actorEmail: "worker@dbmesh",
            action: r.outcome === "dropped" ? "sql_audit.partition_drop" : r.outcome === "created" ? "sql_audit.partition_create" : "sql_audit.partition_skip",
            objectType: "sql_audit_partition",
            objectName: r.partition,
            after: { outcome: r.outcome, retentionDays: payload.retentionDays },
          },
        });
      }
      return { created: created.filter((r) => r.outcome === "created").length, skipped: created.filter((r) => r.outcome !== "created").length, dropped: dropped.length };
    });
    log.info(result, "maintained sql_audit_event partitions");
    return result;
  },
});
