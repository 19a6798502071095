"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { useMemo, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { DeleteButton } from "@/components/confirm-dialog";
import { CopyBox } from "@/components/copy-box";
import { DataTable, type Columns } from "@/components/data-table";
import { applyServerError, TextField } from "@/components/form-fields";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Token = RouterOutputs["apiToken"]["list"][number];

// Mirrors apiToken.create's input (packages/api/src/services/api-tokens.ts), which is server code.
const TokenCreate = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  expiresInDays: z.coerce.number().int("whole days only").min(1, "a token lives at least 1 day").max(365, "a token lives at most 365 days"),
});

function tokenState(t: Token, now: number): "revoked" | "expired" | "active" {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && t.expiresAt.getTime() <= now) return "expired";
  return "active";
}

export function TokensView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { role } = useSession();
  const isAdmin = role === "ADMIN";
  const list = useQuery(trpc.apiToken.list.queryOptions());
  const revoke = useMutation(trpc.apiToken.revoke.mutationOptions());
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [now] = useState(() => Date.now());

  const columns = useMemo<Columns<Token>>(() => {
    const cols: Columns<Token> = [
      { id: "name", header: "Name", accessorFn: (t) => t.name, cell: ({ row }) => <span className="font-medium">{row.original.name}</span> },
    ];
    if (isAdmin) cols.push({ id: "owner", header: "Owner", accessorFn: (t) => t.user.email });
    cols.push(
      { id: "prefix", header: "Token", accessorFn: (t) => t.prefix, cell: ({ row }) => <code className="font-mono text-xs">{row.original.prefix}…</code> },
      { id: "createdAt", header: "Created", accessorFn: (t) => t.createdAt, cell: ({ row }) => <Time value={row.original.createdAt} /> },
      { id: "expiresAt", header: "Expires", accessorFn: (t) => t.expiresAt, cell: ({ row }) => <Time value={row.original.expiresAt} empty="never" /> },
      { id: "lastUsedAt", header: "Last used", accessorFn: (t) => t.lastUsedAt, cell: ({ row }) => <Time value={row.original.lastUsedAt} empty="never" /> },
      {
        id: "status",
        header: "Status",
        accessorFn: (t) => tokenState(t, now),
        cell: ({ row }) => {
          const s = tokenState(row.original, now);
          if (s === "revoked")
            return (
              <span title={row.original.revokedAt?.toISOString()}>
                <StatusBadge tone="danger" label="revoked" />
              </span>
            );
          if (s === "expired") return <StatusBadge tone="neutral" label="expired" />;
          return <StatusBadge tone="success" label="active" />;
        },
      },
      {
        id: "actions",
        header: "Actions",
        enableSorting: false,
        cell: ({ row }) =>
          row.original.revokedAt ? null : (
            <DeleteButton
              small
              label="Revoke"
              what={`API token "${row.original.name}"`}
              consequence="Scripts and agents using it are refused from now on. This cannot be undone."
              onDelete={async () => {
                await revoke.mutateAsync({ id: row.original.id });
                await queryClient.invalidateQueries(trpc.apiToken.list.pathFilter());
                toast(`API token "${row.original.name}" revoked.`);
              }}
            />
          ),
      },
    );
    return cols;
  }, [isAdmin, now, revoke, queryClient, trpc, toast]);

  const newButton = (
    <button
      type="button"
      className={btn.primary}
      onClick={() => {
        setCreated(null);
        setCreating(true);
      }}
    >
      <Plus aria-hidden="true" className="size-4" />
      New API token
    </button>
  );

  return (
    <div className="space-y-5">
      <PageHeader
        title="API tokens"
        description={`Tokens let scripts call the dbmesh API as you, with your role (${role}). Send one as "Authorization: Bearer <token>".${isAdmin ? " As an ADMIN you see everyone's tokens." : ""}`}
        actions={creating ? null : newButton}
      />
      {created && (
        <Section title={`Token "${created.name}" created`}>
          <div className="space-y-3">
            <Alert tone="warning" title="Copy the token now">
              It is shown only once and cannot be recovered; only a hash of it is kept.
            </Alert>
            <CopyBox label="API token" value={created.token} />
            <button type="button" className={btn.secondary} onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </Section>
      )}
      {creating && (
        <CreateToken
          onCancel={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
          }}
        />
      )}
      <DataTable
        label="API tokens"
        noun="tokens"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "createdAt", desc: true }}
        getRowId={(t) => t.id}
        searchText={(t) => `${t.name} ${t.prefix} ${t.user.email} ${tokenState(t, now)}`}
        empty={{
          title: "No API tokens yet",
          description: "Create one for a script or CI job that needs to call the dbmesh API. It acts with your role.",
          action: creating ? undefined : newButton,
        }}
      />
    </div>
  );
}

function CreateToken({ onCancel, onCreated }: { onCancel: () => void; onCreated: (c: { name: string; token: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<z.input<typeof TokenCreate>, unknown, z.output<typeof TokenCreate>>({
    resolver: zodResolver(TokenCreate),
    defaultValues: { name: "", expiresInDays: 90 },
  });
  const create = useMutation(trpc.apiToken.create.mutationOptions());
  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const res = await create.mutateAsync(values);
      await queryClient.invalidateQueries(trpc.apiToken.list.pathFilter());
      onCreated({ name: res.name, token: res.token });
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["name", "expiresInDays"]));
    }
  });
  return (
    <Section title="New API token">
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-4">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <TextField name="name" label="Name" autoComplete="off" hint="What uses it, e.g. “ci-deploy”." autoFocus />
            <TextField name="expiresInDays" label="Expires in (days)" type="number" inputMode="numeric" hint="1 to 365 days." />
          </div>
          {formError && <Alert tone="error">{formError}</Alert>}
          <div className="flex gap-2">
            <button type="submit" className={btn.primary} disabled={form.formState.isSubmitting}>
              Create token
            </button>
            <button type="button" className={btn.secondary} onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      </FormProvider>
    </Section>
  );
}
