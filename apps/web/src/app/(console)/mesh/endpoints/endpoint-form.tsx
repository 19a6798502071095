"use client";

import { DatabaseEndpoint } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Loader2, PlugZap } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import type { z } from "zod";
import { Alert } from "@/components/alert";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, KeyValueEditor, SelectField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { useToast } from "@/components/toast";
import { btn, linkClass } from "@/components/ui";
import { labelRows, labelsFromRows } from "@/lib/format";
import { LabelRows } from "@/lib/form-schemas";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Endpoint = RouterOutputs["endpoint"]["get"];
type TestResult = RouterOutputs["endpoint"]["test"];

const EndpointForm = DatabaseEndpoint.extend({ labels: LabelRows });
type FormIn = z.input<typeof EndpointForm>;
type FormOut = z.output<typeof EndpointForm>;

const FIELDS = ["name", "environment", "protocol", "host", "port", "database", "username", "password", "role", "weight", "labels"];

function toPayload(v: FormOut): DatabaseEndpoint {
  return { ...v, password: v.password ? v.password : undefined, labels: labelsFromRows(v.labels) };
}

export function EndpointEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.endpoint.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  const environments = useQuery(trpc.environment.list.queryOptions());
  const back = { href: "/mesh/endpoints", label: "Endpoints" };

  if (id && existing.error) {
    return (
      <>
        <PageHeader title="Endpoint" back={back} />
        <QueryError error={existing.error} what="the endpoint" />
      </>
    );
  }
  if ((id && !existing.data) || !environments.data) {
    if (environments.error) return <QueryError error={environments.error} what="environments" />;
    return <LoadingBlock />;
  }
  return <EndpointFormView key={existing.data?.updatedAt.toISOString() ?? "new"} endpoint={existing.data} environments={environments.data.map((e) => e.name)} />;
}

function EndpointFormView({ endpoint, environments }: { endpoint?: Endpoint; environments: string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const isNew = !endpoint;
  const readOnly = isNew ? !can("endpoint.create") : !can("endpoint.update");
  const [formError, setFormError] = useState<string | null>(null);
  const [test, setTest] = useState<{ result?: TestResult; error?: string } | null>(null);

  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(EndpointForm),
    defaultValues: endpoint
      ? {
          name: endpoint.name,
          environment: endpoint.environment,
          protocol: endpoint.protocol,
          host: endpoint.host,
          port: endpoint.port,
          database: endpoint.database,
          username: endpoint.username,
          password: "",
          role: endpoint.role,
          weight: endpoint.weight,
          labels: labelRows(endpoint.labels),
        }
      : {
          name: "",
          environment: environments[0] ?? "",
          protocol: "POSTGRESQL",
          host: "",
          port: 5432,
          database: "",
          username: "",
          password: "",
          role: "PRIMARY",
          weight: 1,
          labels: [],
        },
  });

  const create = useMutation(trpc.endpoint.create.mutationOptions());
  const update = useMutation(trpc.endpoint.update.mutationOptions());
  const remove = useMutation(trpc.endpoint.delete.mutationOptions());
  const testDraft = useMutation(trpc.endpoint.testDraft.mutationOptions());
  const testSaved = useMutation(trpc.endpoint.test.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const data = toPayload(values);
      if (endpoint) await update.mutateAsync({ id: endpoint.id, data });
      else await create.mutateAsync(data);
      await queryClient.invalidateQueries();
      toast(`Endpoint "${values.name}" ${endpoint ? "saved" : "created"}.`);
      router.push("/mesh/endpoints");
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  const mayTestDraft = can("endpoint.testDraft");
  const mayTestSaved = !!endpoint && can("endpoint.test");
  const runTest = async () => {
    setTest(null);
    try {
      if (mayTestDraft) {
        // Test what the form holds now, so a typo shows before it is saved.
        if (!(await form.trigger())) return;
        const parsed = EndpointForm.safeParse(form.getValues());
        if (!parsed.success) return;
        setTest({ result: await testDraft.mutateAsync({ id: endpoint?.id, data: toPayload(parsed.data) }) });
      } else if (endpoint) {
        setTest({ result: await testSaved.mutateAsync({ id: endpoint.id }) });
      }
    } catch (err) {
      setTest({ error: errorInfo(err).message });
    }
  };
  const testing = testDraft.isPending || testSaved.isPending;

  const noEnvironments = environments.length === 0;

  return (
    <div>
      <PageHeader
        title={endpoint ? endpoint.name : "New endpoint"}
        description={endpoint ? `Endpoint ${endpoint.id}` : "A database server that virtual databases can route to."}
        back={{ href: "/mesh/endpoints", label: "Endpoints" }}
        actions={
          endpoint && can("endpoint.delete") ? (
            <DeleteButton
              what={`endpoint "${endpoint.name}"`}
              consequence="Agents stop routing to it at their next config poll. An endpoint that still backs a virtual database cannot be deleted."
              onDelete={async () => {
                await remove.mutateAsync({ id: endpoint.id });
                await queryClient.invalidateQueries();
                toast(`Endpoint "${endpoint.name}" deleted.`);
                router.push("/mesh/endpoints");
              }}
            />
          ) : undefined
        }
      />
      {readOnly && <ReadOnlyNote role={role} what="endpoints" />}
      {noEnvironments && !readOnly && (
        <Alert tone="warning" className="mb-4">
          Every endpoint belongs to an environment, and none exists yet.{" "}
          <Link href="/settings/environments/new" className={linkClass}>
            Create an environment
          </Link>{" "}
          first.
        </Alert>
      )}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="Endpoint">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="name" label="Name" hint="Lowercase letters, digits, '-' and '_'." autoComplete="off" />
                <SelectField
                  name="environment"
                  label="Environment"
                  options={environments.map((e) => ({ value: e, label: e }))}
                  placeholder={noEnvironments ? "no environments yet" : undefined}
                />
                <SelectField
                  name="protocol"
                  label="Protocol"
                  options={[
                    { value: "POSTGRESQL", label: "PostgreSQL" },
                    { value: "MYSQL", label: "MySQL" },
                  ]}
                  hint="The agent speaks PostgreSQL today; MySQL endpoints can be registered for later."
                />
                <SelectField
                  name="role"
                  label="Role"
                  options={[
                    { value: "PRIMARY", label: "primary (read-write)" },
                    { value: "REPLICA", label: "replica (read-only)" },
                  ]}
                />
              </div>
            </FormSection>

            <FormSection title="Connection" description="How the agent reaches this server and logs in.">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-6">
                <TextField name="host" label="Host" className="sm:col-span-4" autoComplete="off" spellCheck={false} />
                <TextField name="port" label="Port" type="number" inputMode="numeric" className="sm:col-span-2" />
                <TextField name="database" label="Database" className="sm:col-span-3" autoComplete="off" />
                <TextField name="username" label="User" className="sm:col-span-3" autoComplete="off" />
                <TextField
                  name="password"
                  label="Password"
                  type="password"
                  autoComplete="new-password"
                  className="sm:col-span-3"
                  placeholder={endpoint ? "leave blank to keep" : undefined}
                  hint={
                    endpoint
                      ? endpoint.hasPassword
                        ? "A password is stored (encrypted). Leave blank to keep it."
                        : "No password is stored. Leave blank to keep it that way."
                      : "Stored encrypted; never shown again."
                  }
                />
                <TextField
                  name="weight"
                  label="Weight"
                  type="number"
                  inputMode="numeric"
                  className="sm:col-span-3"
                  hint="Share of reads under weighted load balancing (1–1000)."
                />
              </div>
            </FormSection>

            <FormSection title="Labels" description="Traffic strategies and label selectors of virtual databases pick endpoints by these.">
              <KeyValueEditor name="labels" legend="Labels" addLabel="Add label" />
            </FormSection>
          </fieldset>

          {test && (
            <div aria-live="polite">
              {test.error ? (
                <Alert tone="error" title="Connection test failed">
                  {test.error}
                </Alert>
              ) : test.result?.reachable ? (
                <Alert tone="success">
                  <span className="inline-flex flex-wrap items-center gap-2">
                    <StatusBadge tone="success" label="reachable" />
                    <span>
                      server version <strong>{test.result.serverVersion ?? "unknown"}</strong>
                    </span>
                    {test.result.latencyMs !== null && <span>· {test.result.latencyMs} ms</span>}
                  </span>
                </Alert>
              ) : (
                <Alert tone="error" title="Not reachable">
                  {test.result?.error ?? "the server did not answer"}
                </Alert>
              )}
            </div>
          )}

          <FormFooter
            saving={form.formState.isSubmitting}
            readOnly={readOnly}
            cancelHref="/mesh/endpoints"
            formError={formError}
            extra={
              mayTestDraft || mayTestSaved ? (
                <button type="button" className={btn.secondary} onClick={runTest} disabled={testing}>
                  {testing ? <Loader2 aria-hidden="true" className="size-4 animate-spin" /> : <PlugZap aria-hidden="true" className="size-4" />}
                  Test connection
                </button>
              ) : undefined
            }
          />
        </form>
      </FormProvider>
    </div>
  );
}
