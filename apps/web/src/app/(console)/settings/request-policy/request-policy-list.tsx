"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { applyServerError, TextField } from "@/components/form-fields";
import { ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { btn } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Policy = RouterOutputs["databaseRequest"]["policies"][number];

// Mirrors RequestPolicyInput (packages/api/src/services/self-service/policy.ts).
const PolicyForm = z.object({
  requestApprovalsRequired: z.coerce.number({ error: "a number" }).int("a whole number").min(0, "at least 0").max(5, "at most 5"),
  credentialLeaseTtlHours: z.coerce.number({ error: "a number" }).int("a whole number").min(1, "at least 1 hour").max(24 * 365, "at most a year"),
  credentialRotationGraceSeconds: z.coerce.number({ error: "a number" }).int("a whole number").min(0, "at least 0").max(7 * 24 * 3600, "at most a week"),
  decommissionGraceHours: z.coerce.number({ error: "a number" }).int("a whole number").min(0, "at least 0").max(24 * 90, "at most 90 days"),
});
type FormIn = z.input<typeof PolicyForm>;
type FormOut = z.output<typeof PolicyForm>;
const FIELDS = ["requestApprovalsRequired", "credentialLeaseTtlHours", "credentialRotationGraceSeconds", "decommissionGraceHours"];

export function RequestPolicyList() {
  const trpc = useTRPC();
  const { can, role } = useSession();
  const policies = useQuery(trpc.databaseRequest.policies.queryOptions());
  if (policies.error) return <QueryError error={policies.error} what="the request policies" />;
  if (!policies.data) return <LoadingBlock />;
  const readOnly = !can("databaseRequest.setPolicy");
  return (
    <div className="space-y-6">
      <PageHeader
        title="Request policy"
        description="Per environment: how many DBAs approve a developer's database request (0 approves it on submit; nobody approves their own), how long issued credentials are leased, how long an old password keeps working after a rotation, and how long a decommissioned database is kept before it is dropped."
      />
      {readOnly && <ReadOnlyNote role={role} what="request policies" />}
      {policies.data.length === 0 && <Alert tone="info">No environments yet: create one under Environments first.</Alert>}
      {policies.data.map((p) => (
        <PolicyCard key={p.environmentId} policy={p} readOnly={readOnly} />
      ))}
    </div>
  );
}

function PolicyCard({ policy, readOnly }: { policy: Policy; readOnly: boolean }) {
  const trpc = useTRPC();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const save = useMutation(trpc.databaseRequest.setPolicy.mutationOptions());
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(PolicyForm),
    defaultValues: {
      requestApprovalsRequired: policy.requestApprovalsRequired,
      credentialLeaseTtlHours: policy.credentialLeaseTtlHours,
      credentialRotationGraceSeconds: policy.credentialRotationGraceSeconds,
      decommissionGraceHours: policy.decommissionGraceHours,
    },
  });
  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      await save.mutateAsync({ environmentId: policy.environmentId, ...values });
      await queryClient.invalidateQueries(trpc.databaseRequest.policies.pathFilter());
      toast(`Request policy of ${policy.environment} saved.`);
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });
  return (
    <Section title={policy.environment} description={policy.production ? "production" : undefined}>
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-3" aria-label={`Request policy of ${policy.environment}`}>
          <fieldset disabled={readOnly} className="grid grid-cols-1 gap-3 sm:grid-cols-4">
            <TextField name="requestApprovalsRequired" label="DBA approvals" type="number" inputMode="numeric" />
            <TextField name="credentialLeaseTtlHours" label="Lease (hours)" type="number" inputMode="numeric" />
            <TextField name="credentialRotationGraceSeconds" label="Rotation grace (seconds)" type="number" inputMode="numeric" />
            <TextField name="decommissionGraceHours" label="Drop after (hours)" type="number" inputMode="numeric" />
          </fieldset>
          {formError && (
            <Alert tone="error" title="Not saved">
              {formError}
            </Alert>
          )}
          {!readOnly && (
            <button type="submit" className={btn.primary} disabled={form.formState.isSubmitting}>
              Save
            </button>
          )}
        </form>
      </FormProvider>
    </Section>
  );
}
