"use client";

import { Environment } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import type { z } from "zod";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, CheckboxField, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Env = RouterOutputs["environment"]["get"];
type FormIn = z.input<typeof Environment>;
type FormOut = z.output<typeof Environment>;

export function EnvironmentEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.environment.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  if (id && existing.error) {
    return (
      <>
        <PageHeader title="Environment" back={{ href: "/settings/environments", label: "Environments" }} />
        <QueryError error={existing.error} what="the environment" />
      </>
    );
  }
  if (id && !existing.data) return <LoadingBlock />;
  return <EnvironmentFormView key={existing.data?.updatedAt.toISOString() ?? "new"} env={existing.data} />;
}

function EnvironmentFormView({ env }: { env?: Env }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = env ? !can("environment.update") : !can("environment.create");
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(Environment),
    defaultValues: env ? { name: env.name, description: env.description, production: env.production } : { name: "", description: "", production: false },
  });
  const create = useMutation(trpc.environment.create.mutationOptions());
  const update = useMutation(trpc.environment.update.mutationOptions());
  const remove = useMutation(trpc.environment.delete.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      if (env) await update.mutateAsync({ id: env.id, data: values });
      else await create.mutateAsync(values);
      await queryClient.invalidateQueries();
      toast(`Environment "${values.name}" ${env ? "saved" : "created"}.`);
      router.push("/settings/environments");
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["name", "description", "production"]));
    }
  });

  return (
    <div>
      <PageHeader
        title={env ? env.name : "New environment"}
        back={{ href: "/settings/environments", label: "Environments" }}
        actions={
          env && can("environment.delete") ? (
            <DeleteButton
              what={`environment "${env.name}"`}
              consequence="An environment that still holds endpoints or virtual databases cannot be deleted; move or delete those first."
              onDelete={async () => {
                await remove.mutateAsync({ id: env.id });
                await queryClient.invalidateQueries();
                toast(`Environment "${env.name}" deleted.`);
                router.push("/settings/environments");
              }}
            />
          ) : undefined
        }
      />
      {readOnly && <ReadOnlyNote role={role} what="environments" />}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0">
            <FormSection title="Environment">
              <TextField name="name" label="Name" className="sm:max-w-sm" autoComplete="off" />
              <TextareaField name="description" label="Description" rows={2} />
              <CheckboxField name="production" label="Production" hint="Production environments are marked in lists so nobody mistakes them for a sandbox." />
            </FormSection>
          </fieldset>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref="/settings/environments" formError={formError} />
        </form>
      </FormProvider>
    </div>
  );
}
