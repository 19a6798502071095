"use client";

import { BackupPlanInput } from "@dbmesh/backup/plan";
import { cronProblem, describeCron, isValidTimeZone, nextRuns } from "@dbmesh/backup/schedule";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { FormProvider, useForm, useWatch } from "react-hook-form";
import type { z } from "zod";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, CheckboxField, SelectField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Plan = RouterOutputs["backupPlan"]["get"];
type FormIn = z.input<typeof BackupPlanInput>;
type FormOut = z.output<typeof BackupPlanInput>;

const FIELDS = ["name", "sourceKind", "endpointId", "virtualDatabaseId", "database", "cron", "timezone", "storagePath", "retentionKeep", "retentionDays", "verification", "paused", "maxAttempts"];

const browserZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
};

export function PlanEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.backupPlan.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  const endpoints = useQuery(trpc.endpoint.list.queryOptions());
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const back = id ? { href: `/backups/${id}`, label: "Backup plan" } : { href: "/backups", label: "Backups" };
  if (existing.error) return <QueryError error={existing.error} what="the backup plan" />;
  if (endpoints.error) return <QueryError error={endpoints.error} what="endpoints" />;
  if ((id && !existing.data) || !endpoints.data || !vdbs.data) return <LoadingBlock />;
  return (
    <PlanFormView
      key={existing.data?.updatedAt.toISOString() ?? "new"}
      plan={existing.data}
      back={back}
      endpoints={endpoints.data.filter((e) => e.protocol === "POSTGRESQL").map((e) => ({ value: e.id, label: `${e.name} (${e.host}:${e.port}/${e.database})` }))}
      vdbs={vdbs.data.map((v) => ({ value: v.id, label: v.name }))}
    />
  );
}

function PlanFormView({
  plan,
  back,
  endpoints,
  vdbs,
}: {
  plan?: Plan;
  back: { href: string; label: string };
  endpoints: { value: string; label: string }[];
  vdbs: { value: string; label: string }[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = plan ? !can("backupPlan.update") : !can("backupPlan.create");
  const [formError, setFormError] = useState<string | null>(null);
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf("timeZone");
    } catch {
      return ["UTC"];
    }
  }, []);

  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(BackupPlanInput),
    mode: "onTouched",
    defaultValues: plan
      ? {
          name: plan.name,
          sourceKind: plan.source.kind,
          endpointId: plan.source.kind === "endpoint" ? plan.source.id : "",
          virtualDatabaseId: plan.source.kind === "virtualDatabase" ? plan.source.id : "",
          database: plan.database ?? "",
          cron: plan.cron,
          timezone: plan.timezone,
          storagePath: plan.storagePath,
          retentionKeep: plan.retentionKeep ?? "",
          retentionDays: plan.retentionDays ?? "",
          verification: plan.verification,
          paused: plan.paused,
          maxAttempts: plan.maxAttempts,
        }
      : {
          name: "",
          sourceKind: "endpoint",
          endpointId: endpoints[0]?.value ?? "",
          virtualDatabaseId: "",
          database: "",
          cron: "0 2 * * *",
          timezone: browserZone(),
          storagePath: ".dbmesh/backups",
          retentionKeep: 7,
          retentionDays: "",
          verification: "LIST",
          paused: false,
          maxAttempts: 3,
        },
  });
  const sourceKind = useWatch({ control: form.control, name: "sourceKind" });

  const create = useMutation(trpc.backupPlan.create.mutationOptions());
  const update = useMutation(trpc.backupPlan.update.mutationOptions());
  const remove = useMutation(trpc.backupPlan.delete.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const saved = plan ? await update.mutateAsync({ id: plan.id, data: values }) : await create.mutateAsync(values);
      await queryClient.invalidateQueries();
      toast(`Backup plan "${values.name}" ${plan ? "saved" : "created"}.`);
      router.push(`/backups/${saved.id}`);
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  return (
    <div>
      <PageHeader
        title={plan ? `Edit ${plan.name}` : "New backup plan"}
        description="What to back up, when, where the files go, how long to keep them and how to check them."
        back={back}
        actions={
          plan && can("backupPlan.delete") ? (
            <DeleteButton
              what={`backup plan "${plan.name}"`}
              consequence="Its schedule stops and its run history goes. The backup files already written stay in their directory."
              onDelete={async () => {
                await remove.mutateAsync({ id: plan.id });
                await queryClient.invalidateQueries();
                toast(`Backup plan "${plan.name}" deleted.`);
                router.push("/backups");
              }}
            />
          ) : undefined
        }
      />
      {readOnly && <ReadOnlyNote role={role} what="backup plans" />}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="What to back up">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="name" label="Name" hint="Lowercase letters, digits, '-' and '_'." autoComplete="off" />
                <SelectField
                  name="sourceKind"
                  label="Source"
                  options={[
                    { value: "endpoint", label: "an endpoint" },
                    { value: "virtualDatabase", label: "a virtual database (its primary)" },
                  ]}
                />
                {sourceKind === "virtualDatabase" ? (
                  <SelectField name="virtualDatabaseId" label="Virtual database" options={vdbs} placeholder="choose…" />
                ) : (
                  <SelectField name="endpointId" label="Endpoint" options={endpoints} placeholder={endpoints.length ? "choose…" : "no PostgreSQL endpoints yet"} />
                )}
                <TextField name="database" label="Database" hint="Empty: the endpoint's own database." autoComplete="off" spellCheck={false} />
              </div>
            </FormSection>

            <FormSection title="When" description="A cron pattern in a time zone; the worker runs it with BullMQ's job scheduler.">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="cron" label="Cron pattern" hint="minute hour day-of-month month weekday, e.g. 0 2 * * *" autoComplete="off" spellCheck={false} className="font-mono" />
                <div>
                  <TextField name="timezone" label="Time zone" list="dbmesh-time-zones" autoComplete="off" spellCheck={false} />
                  <datalist id="dbmesh-time-zones">
                    {zones.map((z) => (
                      <option key={z} value={z} />
                    ))}
                  </datalist>
                </div>
              </div>
              <SchedulePreview />
              <CheckboxField name="paused" label="Paused" hint="A paused plan keeps its settings and history but does not run on schedule (Run now still works)." />
            </FormSection>

            <FormSection title="Where and how long">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
                <TextField
                  name="storagePath"
                  label="Directory"
                  className="sm:col-span-3"
                  hint="On the worker's machine; a relative path is under the worker's backup root. (S3-compatible storage will come.)"
                  autoComplete="off"
                  spellCheck={false}
                />
                <TextField name="retentionKeep" label="Keep the newest" type="number" inputMode="numeric" hint="backups; empty = no limit" />
                <TextField name="retentionDays" label="Keep for" type="number" inputMode="numeric" hint="days; empty = no limit" />
                <TextField name="maxAttempts" label="Attempts" type="number" inputMode="numeric" hint="before a backup counts as failed" />
              </div>
              <p className="text-xs text-slate-600">With both limits, a backup goes only when it is beyond both. The newest verified backup is never deleted.</p>
            </FormSection>

            <FormSection title="Verification" description="A backup is only trusted once it has been read back.">
              <SelectField
                name="verification"
                label="After each backup"
                options={[
                  { value: "LIST", label: "check the checksum and read the archive (pg_restore --list)" },
                  { value: "RESTORE", label: "restore into a scratch database and compare tables and row counts" },
                  { value: "NONE", label: "no verification" },
                ]}
              />
            </FormSection>
          </fieldset>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref={back.href} formError={formError} saveLabel={plan ? "Save" : "Create plan"} />
        </form>
      </FormProvider>
    </div>
  );
}

/** The pattern in words and the next five runs, recomputed as the user types. */
function SchedulePreview() {
  const cron = useWatch({ name: "cron" }) as string;
  const tz = useWatch({ name: "timezone" }) as string;
  const problem = !cron?.trim() ? "type a cron pattern" : !isValidTimeZone(tz || "UTC") ? `unknown time zone "${tz}"` : cronProblem(cron.trim(), tz || "UTC");
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short", timeZone: isValidTimeZone(tz || "UTC") ? tz || "UTC" : "UTC" });
  const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="rounded-md bg-slate-50 p-3 text-sm ring-1 ring-slate-200" aria-live="polite" data-testid="schedule-preview">
      {problem ? (
        <p className="text-red-800">{problem}</p>
      ) : (
        <>
          <p className="font-medium text-slate-900">{describeCron(cron.trim())} ({tz})</p>
          <p className="mt-1 text-xs text-slate-600">Next runs:</p>
          <ol className="mt-1 list-decimal space-y-0.5 pl-5 text-slate-800" aria-label="Next five runs">
            {nextRuns(cron.trim(), tz, 5).map((d) => (
              <li key={d.toISOString()}>
                {fmt.format(d)} <span className="text-xs text-slate-500">(your time: {local.format(d)})</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
