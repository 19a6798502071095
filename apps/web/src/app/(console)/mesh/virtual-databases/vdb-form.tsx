"use client";

import { BUILTIN_DANGEROUS_FUNCTIONS, DEFAULT_AUDIT_POLICY, FunctionNamePattern, InitialSearchPath, ResourceName, VirtualDatabase } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { FormProvider, useForm, useWatch } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, CheckboxField, CheckboxGroup, KeyValueEditor, SelectField, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { RoleBadge } from "@/components/status-badge";
import { useToast } from "@/components/toast";
import { linkClass } from "@/components/ui";
import { agentDialAddress, connectionString } from "@/lib/connection";
import { labelRows, labelsFromRows, plural } from "@/lib/format";
import { LabelRows } from "@/lib/form-schemas";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Vdb = RouterOutputs["virtualDatabase"]["get"];
type Endpoint = RouterOutputs["endpoint"]["list"][number];

/** A blank box is "no limit". */
const OptionalRate = z
  .string()
  .trim()
  .transform((s) => (s === "" ? null : Number(s)))
  .pipe(
    z
      .number({ error: "a rate must be a number" })
      .int("a rate is a whole number of statements per second")
      .min(1, "a rate must be at least 1 statement per second")
      .max(1_000_000, "a rate must be at most 1,000,000 statements per second")
      .nullable(),
  );

// The mesh schema's fields; the label selector is edited as rows, "none" is a blank choice, rate limits are
// text boxes (blank: none) and the extra dangerous functions one text area, a name per line or comma.
const VdbForm = z
  .object({
    ...VirtualDatabase.shape,
    trafficStrategy: z.string().transform((s) => (s === "" ? null : s)).pipe(ResourceName.nullable()),
    backendSelector: LabelRows,
    rateLimits: z.object({ perCredentialPerSecond: OptionalRate, perDatabasePerSecond: OptionalRate }),
    dangerousFunctions: z
      .string()
      .transform((s) => s.split(/[\s,]+/).filter((f) => f !== ""))
      .pipe(z.array(FunctionNamePattern).max(200, "at most 200 function names")),
    // Comma or space separated, in order (the first schema holding a name wins).
    searchPath: z
      .string()
      .transform((s) => s.split(/[\s,]+/).filter((f) => f !== ""))
      .pipe(InitialSearchPath.unwrap()),
  })
  .refine((v) => v.backends.length > 0 || v.backendSelector.length > 0, {
    message: "choose at least one backend endpoint or a label selector",
    path: ["backends"],
  });
type FormIn = z.input<typeof VdbForm>;
type FormOut = z.output<typeof VdbForm>;

const FIELDS = ["name", "description", "environment", "trafficStrategy", "backends", "backendSelector", "accessDefault", "audit", "rateLimits", "dangerousFunctions", "searchPath"];

const rateText = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

export function VirtualDatabaseEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.virtualDatabase.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  const environments = useQuery(trpc.environment.list.queryOptions());
  const endpoints = useQuery(trpc.endpoint.list.queryOptions());
  const strategies = useQuery(trpc.trafficStrategy.list.queryOptions());
  const back = { href: "/mesh/virtual-databases", label: "Virtual databases" };

  const error = existing.error ?? environments.error ?? endpoints.error ?? strategies.error;
  if (error) {
    return (
      <>
        <PageHeader title="Virtual database" back={back} />
        <QueryError error={error} what="the virtual database" />
      </>
    );
  }
  if ((id && !existing.data) || !environments.data || !endpoints.data || !strategies.data) return <LoadingBlock />;
  return (
    <VdbFormView
      key={existing.data?.updatedAt.toISOString() ?? "new"}
      vdb={existing.data}
      environments={environments.data.map((e) => e.name)}
      endpoints={endpoints.data}
      strategies={strategies.data.map((s) => s.name)}
    />
  );
}

function VdbFormView({ vdb, environments, endpoints, strategies }: { vdb?: Vdb; environments: string[]; endpoints: Endpoint[]; strategies: string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = vdb ? !can("virtualDatabase.update") : !can("virtualDatabase.create");
  const [formError, setFormError] = useState<string | null>(null);

  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(VdbForm),
    defaultValues: vdb
      ? {
          name: vdb.name,
          description: vdb.description,
          environment: vdb.environment,
          trafficStrategy: vdb.trafficStrategy ?? "",
          backends: vdb.backends,
          backendSelector: labelRows(vdb.backendSelector),
          accessDefault: vdb.accessDefault,
          audit: vdb.audit,
          rateLimits: { perCredentialPerSecond: rateText(vdb.rateLimits.perCredentialPerSecond), perDatabasePerSecond: rateText(vdb.rateLimits.perDatabasePerSecond) },
          dangerousFunctions: vdb.dangerousFunctions.join("\n"),
          searchPath: vdb.searchPath.join(", "),
        }
      : {
          name: "",
          description: "",
          environment: environments[0] ?? "",
          trafficStrategy: "",
          backends: [],
          backendSelector: [],
          accessDefault: "allow",
          audit: DEFAULT_AUDIT_POLICY,
          rateLimits: { perCredentialPerSecond: "", perDatabasePerSecond: "" },
          dangerousFunctions: "",
          searchPath: "",
        },
  });
  const create = useMutation(trpc.virtualDatabase.create.mutationOptions());
  const update = useMutation(trpc.virtualDatabase.update.mutationOptions());
  const remove = useMutation(trpc.virtualDatabase.delete.mutationOptions());

  const environment = useWatch({ control: form.control, name: "environment" });
  const auditMode = useWatch({ control: form.control, name: "audit.mode" });
  const selectorRows = useWatch({ control: form.control, name: "backendSelector" });
  const inEnvironment = useMemo(() => endpoints.filter((e) => e.environment === environment), [endpoints, environment]);

  // Backends must live in the virtual database's environment: picks from another one go when it changes.
  const lastEnv = useRef(environment);
  useEffect(() => {
    if (lastEnv.current === environment) return;
    lastEnv.current = environment;
    const allowed = new Set(inEnvironment.map((e) => e.name));
    const picked = form.getValues("backends") ?? [];
    const kept = picked.filter((n) => allowed.has(n));
    if (kept.length !== picked.length) form.setValue("backends", kept, { shouldDirty: true });
  }, [environment, inEnvironment, form]);

  const selectorMatches = useMemo(() => {
    const rows = (selectorRows ?? []).filter((r) => r.key);
    if (!rows.length) return null;
    return inEnvironment.filter((e) => rows.every((r) => e.labels[r.key] === r.value)).map((e) => e.name);
  }, [selectorRows, inEnvironment]);

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const data = { ...values, backendSelector: labelsFromRows(values.backendSelector) };
      if (vdb) await update.mutateAsync({ id: vdb.id, data });
      else await create.mutateAsync(data);
      await queryClient.invalidateQueries();
      toast(`Virtual database "${values.name}" ${vdb ? "saved" : "created"}.`);
      router.push("/mesh/virtual-databases");
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  return (
    <div>
      <PageHeader
        title={vdb ? vdb.name : "New virtual database"}
        description={vdb ? vdb.description || `Virtual database ${vdb.id}` : "A database name applications connect to through the agent."}
        back={{ href: "/mesh/virtual-databases", label: "Virtual databases" }}
        actions={
          vdb && can("virtualDatabase.delete") ? (
            <DeleteButton
              what={`virtual database "${vdb.name}"`}
              consequence={`Applications can no longer connect to "${vdb.name}" once agents pick up the change. Its ${plural(vdb.accessRuleCount, "access rule")} are deleted with it.`}
              onDelete={async () => {
                await remove.mutateAsync({ id: vdb.id });
                await queryClient.invalidateQueries();
                toast(`Virtual database "${vdb.name}" deleted.`);
                router.push("/mesh/virtual-databases");
              }}
            />
          ) : undefined
        }
      />

      {vdb && <VdbDetails vdb={vdb} />}

      {readOnly && <ReadOnlyNote role={role} what="virtual databases" />}
      {environments.length === 0 && !readOnly && (
        <Alert tone="warning" className="mb-4">
          A virtual database belongs to an environment, and none exists yet.{" "}
          <Link href="/settings/environments/new" className={linkClass}>
            Create an environment
          </Link>{" "}
          first.
        </Alert>
      )}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="Virtual database">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="name" label="Name" hint="What applications put in their connection string as the database name." autoComplete="off" />
                <SelectField name="environment" label="Environment" options={environments.map((e) => ({ value: e, label: e }))} />
                <SelectField
                  name="trafficStrategy"
                  label="Traffic strategy"
                  placeholder="none (the default strategy)"
                  options={strategies.map((s) => ({ value: s, label: s }))}
                />
                <TextareaField name="description" label="Description" rows={2} className="sm:col-span-2" />
              </div>
            </FormSection>

            <FormSection
              title="Backends"
              description="Pick endpoints directly, select them by labels, or both. Only endpoints in the same environment can serve it."
            >
              <CheckboxGroup
                name="backends"
                legend={`Endpoints in ${environment || "this environment"}`}
                options={inEnvironment.map((e) => ({ value: e.name, label: `${e.name} (${e.role.toLowerCase()})` }))}
                emptyText="No endpoints in this environment yet."
              />
              <KeyValueEditor
                name="backendSelector"
                legend="Label selector"
                addLabel="Add selector label"
                hint="Endpoints whose labels include all of these are backends too."
              />
              {selectorMatches && (
                <p className="text-sm text-slate-600" aria-live="polite">
                  The selector matches {selectorMatches.length ? selectorMatches.join(", ") : "no endpoint"} right now.
                </p>
              )}
            </FormSection>

            <FormSection
              title="Access and limits"
              description="Enforced by the agent on every statement. Access rules are edited on the Access rules page; here is what happens when none of them covers a table."
            >
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <SelectField
                  name="accessDefault"
                  label="Tables no rule covers"
                  hint="With no access rule and “allow”, the agent is a plain proxy. Otherwise COPY, DO, EXECUTE, CALL and dangerous functions always need a rule that allows them."
                  options={[
                    { value: "allow", label: "allow" },
                    { value: "deny", label: "deny (refused with SQLSTATE 42501)" },
                  ]}
                />
                <TextareaField
                  name="dangerousFunctions"
                  label="More dangerous functions"
                  rows={3}
                  hint={`One per line (schema.name or name, * as a wildcard), refused unless a rule allows “call” on them. Always refused: ${BUILTIN_DANGEROUS_FUNCTIONS.slice(0, 6).join(", ")} and ${BUILTIN_DANGEROUS_FUNCTIONS.length - 6} more.`}
                />
                <TextField
                  name="searchPath"
                  label="Initial search path"
                  hint="Schemas, in order, comma separated. Sessions start with this search_path (the agent sets it on the backend at login) and unqualified names are judged against it. Blank: the server default (“$user”, public)."
                  autoComplete="off"
                />
                <TextField
                  name="rateLimits.perCredentialPerSecond"
                  label="Statements per second, per credential"
                  hint="Blank: no limit. Past it a statement gets SQLSTATE 53400 at once."
                  inputMode="numeric"
                  autoComplete="off"
                />
                <TextField
                  name="rateLimits.perDatabasePerSecond"
                  label="Statements per second, whole virtual database"
                  hint="Blank: no limit. Shared by every credential, per agent."
                  inputMode="numeric"
                  autoComplete="off"
                />
              </div>
            </FormSection>

            <FormSection title="SQL audit" description="Which statements agents record in Audit → SQL log. Refusals are recorded unless auditing is off.">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <SelectField
                  name="audit.mode"
                  label="Record"
                  options={[
                    { value: "all", label: "every statement" },
                    { value: "writes", label: "writes and DDL only" },
                    { value: "denied", label: "refused statements only" },
                    { value: "sample", label: "a sample of statements" },
                    { value: "off", label: "nothing" },
                  ]}
                />
                {auditMode === "sample" && (
                  <TextField name="audit.sampleRate" label="Sample rate" hint="Between 0 and 1: 0.1 records one statement in ten." inputMode="decimal" autoComplete="off" />
                )}
                <CheckboxField
                  name="audit.keepLiterals"
                  label="Keep literal values"
                  hint="Off: values in statements are replaced by $1, $2 … before they leave the agent."
                  className="sm:col-span-2"
                />
              </div>
            </FormSection>
          </fieldset>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref="/mesh/virtual-databases" formError={formError} />
        </form>
      </FormProvider>
    </div>
  );
}

function VdbDetails({ vdb }: { vdb: Vdb }) {
  return (
    <div className="mb-5 grid grid-cols-1 gap-4 lg:grid-cols-2">
      <Section title="Resolved backends" description="Every endpoint that serves it now: direct picks plus label-selector matches.">
        {vdb.resolvedBackends.length === 0 ? (
          <Alert tone="warning">No endpoint serves this virtual database: connections to it fail until one is added.</Alert>
        ) : (
          <ul className="divide-y divide-slate-100">
            {vdb.resolvedBackends.map((b) => (
              <li key={b.name} className="flex items-center justify-between gap-2 py-1.5 text-sm">
                <span className="font-medium">{b.name}</span>
                <RoleBadge role={b.role} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <ConnectHint vdb={vdb} />
    </div>
  );
}

/** How an application reaches this virtual database: one line per credential granted on it. */
function ConnectHint({ vdb }: { vdb: Vdb }) {
  const trpc = useTRPC();
  const { can } = useSession();
  const credentials = useQuery(trpc.credential.list.queryOptions());
  const agents = useQuery(trpc.agent.list.queryOptions());
  const dial = agentDialAddress(agents.data?.agents);
  const granted = (credentials.data ?? []).filter((c) => c.virtualDatabases.includes(vdb.name));
  return (
    <Section title="Connect">
      <p className="text-sm text-slate-700">
        Applications connect through {dial.fromAgent ? <>the agent at <code className="font-mono text-xs">{dial.address}</code></> : "an agent"}, with an
        app credential granted on it:
      </p>
      {credentials.error ? (
        <div className="mt-2">
          <QueryError error={credentials.error} what="credentials" />
        </div>
      ) : !credentials.data ? (
        <p className="mt-2 text-sm text-slate-500">Loading credentials…</p>
      ) : granted.length === 0 ? (
        <>
          <pre className="mt-2 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-100">
            {`postgresql://<credential>@${dial.address}/${vdb.name}`}
          </pre>
          <p className="mt-2 text-sm text-slate-700">
            No credential may connect to {vdb.name} yet.{" "}
            {can("credential.create") ? (
              <Link href={`/mesh/credentials/new?vdb=${encodeURIComponent(vdb.name)}`} className={linkClass}>
                Create a credential
              </Link>
            ) : (
              "Ask an ADMIN or DBA to create a credential for it."
            )}
          </p>
        </>
      ) : (
        <ul className="mt-2 space-y-2" aria-label={`Credentials for ${vdb.name}`}>
          {granted.map((c) => (
            <li key={c.id}>
              <Link href={`/mesh/credentials/${c.id}`} className={`${linkClass} font-mono text-sm`}>
                {c.name}
              </Link>
              {c.description && <span className="ml-2 text-xs text-slate-500">{c.description}</span>}
              <pre className="mt-1 overflow-x-auto rounded-md bg-slate-900 px-3 py-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-100">
                {connectionString({ user: c.name, address: dial.address, database: vdb.name })}
              </pre>
            </li>
          ))}
        </ul>
      )}
      {!dial.fromAgent && (
        <p className="mt-2 text-xs text-slate-500">
          No agent is up and reporting its address, so this assumes one on the application&apos;s host.{" "}
          <Link href="/fleet/agents" className={linkClass}>
            Agents
          </Link>
        </p>
      )}
      <p className="mt-3 flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {granted.length > 0 && (
          <Link href={`/mesh/credentials?vdb=${encodeURIComponent(vdb.name)}`} className={linkClass}>
            {plural(granted.length, "credential")} for {vdb.name}
          </Link>
        )}
        <Link href={`/mesh/access-rules?vdb=${encodeURIComponent(vdb.name)}`} className={linkClass}>
          {plural(vdb.accessRuleCount, "access rule")} for {vdb.name}
        </Link>
      </p>
    </Section>
  );
}
