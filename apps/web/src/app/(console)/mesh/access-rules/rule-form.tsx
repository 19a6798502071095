"use client";

import { AccessOperation, AccessRule, TablePattern } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, CheckboxGroup, SelectField, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { PrecedenceNote } from "./precedence-note";

type Rule = RouterOutputs["accessRule"]["get"];

// The mesh schema's fields; a blank credential means "every credential", tables are one per line.
const RuleForm = z.object({
  ...AccessRule.shape,
  credential: z
    .string()
    .transform((s) => (s.trim() === "" ? null : s.trim()))
    .pipe(AccessRule.shape.credential.unwrap()),
  tables: z
    .string()
    .transform((s) =>
      s
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean),
    )
    .pipe(z.array(TablePattern).min(1, "give at least one table pattern ('*' for all)")),
});
type FormIn = z.input<typeof RuleForm>;
type FormOut = z.output<typeof RuleForm>;

const FIELDS = ["name", "virtualDatabase", "credential", "operations", "tables", "effect", "description"];

const OPERATION_OPTIONS = AccessOperation.options.map((o) => ({ value: o, label: o === "all" ? "all operations" : o }));

export function AccessRuleEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const existing = useQuery(trpc.accessRule.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  const back = { href: "/mesh/access-rules", label: "Access rules" };
  const error = existing.error ?? vdbs.error;
  if (error) {
    return (
      <>
        <PageHeader title="Access rule" back={back} />
        <QueryError error={error} what="the access rule" />
      </>
    );
  }
  if ((id && !existing.data) || !vdbs.data) return <LoadingBlock />;
  return (
    <RuleFormView
      key={existing.data?.updatedAt.toISOString() ?? "new"}
      rule={existing.data}
      vdbs={vdbs.data.map((v) => v.name)}
      presetVdb={params.get("vdb") ?? undefined}
    />
  );
}

function RuleFormView({ rule, vdbs, presetVdb }: { rule?: Rule; vdbs: string[]; presetVdb?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = rule ? !can("accessRule.update") : !can("accessRule.create");
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(RuleForm),
    defaultValues: rule
      ? {
          name: rule.name,
          virtualDatabase: rule.virtualDatabase,
          credential: rule.credential ?? "",
          operations: rule.operations,
          tables: rule.tables.join("\n"),
          effect: rule.effect,
          description: rule.description,
        }
      : {
          name: "",
          virtualDatabase: presetVdb && vdbs.includes(presetVdb) ? presetVdb : (vdbs[0] ?? ""),
          credential: "",
          operations: [],
          tables: "",
          effect: "ALLOW",
          description: "",
        },
  });
  const create = useMutation(trpc.accessRule.create.mutationOptions());
  const update = useMutation(trpc.accessRule.update.mutationOptions());
  const remove = useMutation(trpc.accessRule.delete.mutationOptions());
  const listHref = (vdb: string) => `/mesh/access-rules?vdb=${encodeURIComponent(vdb)}`;

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      if (rule) await update.mutateAsync({ id: rule.id, data: values });
      else await create.mutateAsync(values);
      await queryClient.invalidateQueries();
      toast(`Access rule "${values.name}" ${rule ? "saved" : "created"}.`);
      router.push(listHref(values.virtualDatabase));
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  return (
    <div>
      <PageHeader
        title={rule ? rule.name : "New access rule"}
        description={rule ? `Access rule ${rule.id} on ${rule.virtualDatabase}` : "Allow or deny operations on tables of a virtual database."}
        back={{ href: "/mesh/access-rules", label: "Access rules" }}
        actions={
          rule && can("accessRule.delete") ? (
            <DeleteButton
              what={`access rule "${rule.name}"`}
              consequence="Agents stop applying it at their next config poll."
              onDelete={async () => {
                await remove.mutateAsync({ id: rule.id });
                await queryClient.invalidateQueries();
                toast(`Access rule "${rule.name}" deleted.`);
                router.push(listHref(rule.virtualDatabase));
              }}
            />
          ) : undefined
        }
      />
      <PrecedenceNote />
      {readOnly && <ReadOnlyNote role={role} what="access rules" />}
      {vdbs.length === 0 && !readOnly && (
        <Alert tone="warning" className="mb-4">
          An access rule belongs to a virtual database, and none exists yet.{" "}
          <Link href="/mesh/virtual-databases/new" className={linkClass}>
            Create a virtual database
          </Link>{" "}
          first.
        </Alert>
      )}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="Rule">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="name" label="Name" autoComplete="off" />
                <SelectField name="virtualDatabase" label="Virtual database" options={vdbs.map((v) => ({ value: v, label: v }))} />
                <TextField
                  name="credential"
                  label="Credential"
                  autoComplete="off"
                  placeholder="all credentials"
                  hint="The app credential (user name) it applies to. Leave blank for all credentials."
                />
                <SelectField
                  name="effect"
                  label="Effect"
                  options={[
                    { value: "ALLOW", label: "ALLOW" },
                    { value: "DENY", label: "DENY" },
                  ]}
                />
              </div>
            </FormSection>
            <FormSection title="What it covers">
              <CheckboxGroup name="operations" legend="Operations" options={OPERATION_OPTIONS} columns="sm:grid-cols-3 lg:grid-cols-5" />
              <TextareaField
                name="tables"
                label="Table patterns"
                rows={4}
                mono
                placeholder={"public.orders\nbilling.*\n*"}
                hint="One per line: 'table', 'schema.table', 'schema.*' or '*'; '*' matches any run of characters."
              />
              <TextareaField name="description" label="Description" rows={2} />
            </FormSection>
          </fieldset>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref="/mesh/access-rules" formError={formError} />
        </form>
      </FormProvider>
    </div>
  );
}
