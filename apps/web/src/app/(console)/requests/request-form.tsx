"use client";

import { ResourceName } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { applyServerError, CheckboxGroup, SelectField, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { useTRPC } from "@/trpc/react";

// Mirrors DatabaseRequestInput (packages/api/src/services/self-service/requests.ts) as one flat form:
// the fields of the other kind are ignored when the payload is built.
const RequestFormSchema = z
  .object({
    kind: z.enum(["NEW_DATABASE", "ACCESS"]),
    newName: z.string(),
    existing: z.string(),
    environment: z.string(),
    purpose: z.string().trim().min(1, "say what the database is for").max(1000),
    team: z.string().trim().min(1, "name the owning team or service").max(100),
    sizeClass: z.enum(["small", "medium", "large"]),
    placement: z.enum(["DATABASE", "SCHEMA"], { error: "choose its own database or a schema in a shared database" }),
    extensions: z.array(z.string()),
    accessMode: z.enum(["READ_ONLY", "READ_WRITE"]),
    tables: z.string().max(2000),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "NEW_DATABASE") {
      const name = ResourceName.safeParse(v.newName);
      if (!name.success) ctx.addIssue({ code: "custom", path: ["newName"], message: name.error.issues[0]?.message ?? "invalid name" });
      if (!v.environment) ctx.addIssue({ code: "custom", path: ["environment"], message: "choose an environment" });
    } else if (!v.existing) {
      ctx.addIssue({ code: "custom", path: ["existing"], message: "choose a virtual database" });
    }
  });
type FormIn = z.input<typeof RequestFormSchema>;
type FormOut = z.output<typeof RequestFormSchema>;
const FIELDS = ["newName", "existing", "environment", "purpose", "team", "sizeClass", "placement", "extensions", "accessMode", "tables"];

export function RequestForm() {
  const trpc = useTRPC();
  const envs = useQuery(trpc.environment.list.queryOptions());
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const options = useQuery(trpc.databaseRequest.options.queryOptions());
  const policies = useQuery(trpc.databaseRequest.policies.queryOptions());
  const error = envs.error ?? vdbs.error ?? options.error;
  if (error) return <QueryError error={error} what="the request form" />;
  if (!envs.data || !vdbs.data || !options.data) return <LoadingBlock />;
  return (
    <RequestFormView
      environments={envs.data.map((e) => e.name)}
      vdbs={vdbs.data.map((v) => v.name)}
      extensions={options.data.extensions}
      approvals={Object.fromEntries((policies.data ?? []).map((p) => [p.environment, p.requestApprovalsRequired]))}
    />
  );
}

function RequestFormView({ environments, vdbs, extensions, approvals }: { environments: string[]; vdbs: string[]; extensions: string[]; approvals: Record<string, number> }) {
  const trpc = useTRPC();
  const router = useRouter();
  const toast = useToast();
  const queryClient = useQueryClient();
  const { can, role } = useSession();
  const readOnly = !can("databaseRequest.submit");
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(RequestFormSchema),
    defaultValues: { kind: "NEW_DATABASE", newName: "", existing: "", environment: "", purpose: "", team: "", sizeClass: "small", placement: "DATABASE", extensions: [], accessMode: "READ_ONLY", tables: "" },
  });
  const submit = useMutation(trpc.databaseRequest.submit.mutationOptions());
  const kind = form.watch("kind");
  const env = form.watch("environment");

  const onSubmit = form.handleSubmit(async (v) => {
    setFormError(null);
    const payload =
      v.kind === "NEW_DATABASE"
        ? { kind: v.kind, virtualDatabase: v.newName, environment: v.environment, purpose: v.purpose, team: v.team, sizeClass: v.sizeClass, placement: v.placement, extensions: v.extensions as never[] }
        : {
            kind: v.kind,
            virtualDatabase: v.existing,
            purpose: v.purpose,
            team: v.team,
            accessMode: v.accessMode,
            tables: v.tables.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean),
          };
    try {
      const res = await submit.mutateAsync(payload);
      await queryClient.invalidateQueries(trpc.databaseRequest.pathFilter());
      toast(res.status === "APPROVED" ? "Request approved automatically: provisioning has started." : "Request sent for review.");
      router.push(`/requests/${res.id}`);
    } catch (err) {
      // The server's field names: virtualDatabase is the name field of whichever kind this is.
      const info = applyServerError(err, (name, e) => form.setError((name === "virtualDatabase" ? (kind === "NEW_DATABASE" ? "newName" : "existing") : name) as never, e), [...FIELDS, "virtualDatabase"]);
      setFormError(info);
    }
  });

  return (
    <div>
      <PageHeader
        title="Request a database"
        back={{ href: "/requests", label: "My requests" }}
        description="A new database for your service, or access to an existing virtual database. Once approved, dbmesh creates it and gives you a connection string through the agent."
      />
      {readOnly && <ReadOnlyNote role={role} what="database requests" />}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-6">
          <FormSection title="What you need">
            <SelectField
              name="kind"
              label="Request"
              options={[
                { value: "NEW_DATABASE", label: "A new database" },
                { value: "ACCESS", label: "Access to an existing virtual database" },
              ]}
            />
            {kind === "NEW_DATABASE" ? (
              <>
                <TextField name="newName" label="Name" hint="The virtual database name your application connects to, e.g. orders-api." />
                <SelectField
                  name="environment"
                  label="Environment"
                  placeholder="choose…"
                  options={environments.map((e) => ({ value: e, label: e }))}
                  hint={
                    env && approvals[env] !== undefined
                      ? approvals[env] === 0
                        ? `Requests in ${env} are approved automatically.`
                        : `Requests in ${env} need ${approvals[env]} DBA approval${approvals[env] === 1 ? "" : "s"}.`
                      : undefined
                  }
                />
                <SelectField
                  name="placement"
                  label="Where it lives"
                  options={[
                    { value: "DATABASE", label: "its own database" },
                    { value: "SCHEMA", label: "a schema in a shared database" },
                  ]}
                  hint="A schema is lighter: your role owns only that schema in a database the DBA picks, and cannot create anywhere else there."
                />
                <SelectField
                  name="sizeClass"
                  label="Expected size"
                  options={[
                    { value: "small", label: "small (under 10 GB)" },
                    { value: "medium", label: "medium (10–100 GB)" },
                    { value: "large", label: "large (over 100 GB)" },
                  ]}
                />
                <CheckboxGroup name="extensions" legend="Extensions" options={extensions.map((e) => ({ value: e, label: e }))} hint="Only these are allowed: none of them reaches outside the database." />
              </>
            ) : (
              <>
                <SelectField name="existing" label="Virtual database" placeholder="choose…" options={vdbs.map((n) => ({ value: n, label: n }))} />
                <SelectField
                  name="accessMode"
                  label="Access"
                  options={[
                    { value: "READ_ONLY", label: "read-only" },
                    { value: "READ_WRITE", label: "read-write" },
                  ]}
                />
                <TextField name="tables" label="Limit to tables" hint="Optional: table patterns separated by commas, e.g. public.orders, reporting.*. Empty: every table." />
              </>
            )}
          </FormSection>
          <FormSection title="Why">
            <TextareaField name="purpose" label="Purpose" hint="What the database is for: reviewers read this." />
            <TextField name="team" label="Owning team or service" />
          </FormSection>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref="/requests" formError={formError} saveLabel="Submit request" />
        </form>
      </FormProvider>
    </div>
  );
}
