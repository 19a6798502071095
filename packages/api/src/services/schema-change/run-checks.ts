import type { Prisma } from "@dbmesh/db";
import type { LintPolicy, LintReport } from "@dbmesh/sql";
import { newId } from "../../ids";
import { mutate } from "../mutation";
import { dryRun, type DryRunResult } from "./dry-run";
import { lintChangeSql } from "./lint";
import { environmentPolicies } from "./policy";
import { workerContext, type WorkerDeps } from "./system-actor";
import { connectTarget, loadTargetEndpoint } from "./target-db";
import { resolveTargets } from "./targets";

/** The dry run's own limits: short, since it holds its locks until the rollback. */
export const DRY_RUN_LOCK_TIMEOUT_MS = 2_000;
export const DRY_RUN_STATEMENT_TIMEOUT_MS = 60_000;

function countOf(report: LintReport, severity: "error" | "warning") {
  return report.findings.filter((f) => f.severity === severity).length + (severity === "error" && report.parseError ? 1 : 0);
}

/**
 * The checks of one version: lint under each target environment's policy, then a dry run on each
 * target (rolled back) with the schema before and after. Idempotent: a rerun replaces the rows.
 */
export async function runChecks(deps: WorkerDeps, versionId: string): Promise<{ errors: number; warnings: number; skipped?: string }> {
  const { db, log } = deps;
  const ctx = workerContext(db);
  const version = await db.changeVersion.findUnique({ where: { id: versionId }, include: { changeRequest: true } });
  if (!version) return { errors: 0, warnings: 0, skipped: "version deleted" };
  const cr = version.changeRequest;
  if (cr.currentVersion !== version.version) return { errors: 0, warnings: 0, skipped: `superseded by version ${cr.currentVersion}` };

  await mutate(ctx, { mesh: false }, async (tx, audit) => {
    await tx.changeVersion.update({ where: { id: versionId }, data: { checksStatus: "RUNNING", checksStartedAt: new Date(), checksError: null } });
    await audit({ action: "change_request.checks_start", objectType: "change_request", objectId: cr.id, objectName: cr.title, after: { version: version.version } });
  });

  try {
    const targets = await resolveTargets(db, cr);
    const policies = await environmentPolicies(db);
    // One lint per environment policy; the statements do not depend on the policy.
    const lintByEnv = new Map<string, LintReport>();
    const base = await lintChangeSql(version.sql);
    const rows: Prisma.ChangeCheckCreateManyInput[] = [];
    for (const [position, t] of targets.entries()) {
      const started = performance.now();
      let lint = lintByEnv.get(t.environmentId);
      if (!lint) {
        const rules: LintPolicy | undefined = policies.find((p) => p.environmentId === t.environmentId)?.rules;
        lint = await lintChangeSql(version.sql, rules);
        lintByEnv.set(t.environmentId, lint);
      }
      let result: DryRunResult;
      if (base.parseError) {
        result = { statements: [], error: { statementIndex: null, message: "not dry-run: the SQL does not parse", line: base.parseError.line, column: base.parseError.column, sqlstate: null }, schemaBefore: "", schemaAfter: "", durationMs: 0 };
      } else {
        result = await dryRunOn(deps, t.endpointId, base);
      }
      const errors = countOf(lint, "error") + (result.error ? 1 : 0);
      const warnings = countOf(lint, "warning");
      const { schemaBefore, schemaAfter, ...dry } = result;
      rows.push({
        id: newId("chk"),
        versionId,
        position,
        endpointId: t.endpointId,
        endpointName: t.endpointName,
        environmentId: t.environmentId,
        environmentName: t.environmentName,
        lint: lint as unknown as Prisma.InputJsonValue,
        dryRun: dry as unknown as Prisma.InputJsonValue,
        schemaBefore,
        schemaAfter,
        errorCount: errors,
        warningCount: warnings,
        durationMs: Math.round(performance.now() - started),
      });
    }
    // The worst target: the version's figures say "is anything blocking", not a total.
    const errors = rows.reduce((n, r) => Math.max(n, r.errorCount ?? 0), 0);
    const warnings = rows.reduce((n, r) => Math.max(n, r.warningCount ?? 0), 0);
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      // The SQL may have changed while the checks ran: results of an old version are dropped.
      const fresh = await tx.changeRequest.findUniqueOrThrow({ where: { id: cr.id } });
      await tx.changeCheck.deleteMany({ where: { versionId } });
      if (rows.length) await tx.changeCheck.createMany({ data: rows });
      await tx.changeVersion.update({
        where: { id: versionId },
        data: { checksStatus: "DONE", checksFinishedAt: new Date(), errorCount: errors, warningCount: warnings },
      });
      await audit({
        action: "change_request.checks_finish",
        objectType: "change_request",
        objectId: cr.id,
        objectName: cr.title,
        after: { version: version.version, errors, warnings, targets: rows.length, current: fresh.currentVersion === version.version },
      });
    });
    log.info({ changeRequestId: cr.id, version: version.version, errors, warnings }, "checks done");
    return { errors, warnings };
  } catch (err) {
    const message = (err as Error).message;
    await mutate(ctx, { mesh: false }, async (tx, audit) => {
      await tx.changeVersion.update({ where: { id: versionId }, data: { checksStatus: "FAILED", checksFinishedAt: new Date(), checksError: message } });
      await audit({ action: "change_request.checks_fail", objectType: "change_request", objectId: cr.id, objectName: cr.title, after: { version: version.version, error: message } });
    });
    throw err;
  }
}

/** A target that cannot be reached is a check error of that target, not a failure of the job. */
async function dryRunOn(deps: WorkerDeps, endpointId: string, lint: LintReport): Promise<DryRunResult> {
  let client;
  try {
    const endpoint = await loadTargetEndpoint(deps.db, endpointId);
    client = await connectTarget(endpoint, deps.secretKey, "dbmesh-dry-run");
    return await dryRun(client, lint.statements, { lockTimeoutMs: DRY_RUN_LOCK_TIMEOUT_MS, statementTimeoutMs: DRY_RUN_STATEMENT_TIMEOUT_MS });
  } catch (err) {
    return { statements: [], error: { statementIndex: null, message: (err as Error).message, line: null, column: null, sqlstate: null }, schemaBefore: "", schemaAfter: "", durationMs: 0 };
  } finally {
    await client?.end().catch(() => {});
  }
}
