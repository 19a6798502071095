"use client";

import { ROLES } from "@dbmesh/api/permissions";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound } from "lucide-react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyBox } from "@/components/copy-box";
import { applyServerError, CheckboxField, SelectField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { AdminOnly } from "./admin-only";

// Mirrors user.create / user.update inputs (packages/api/src/services/users.ts), which are server code.
const UserCreate = z.object({
  email: z.email("enter a valid email address"),
  name: z.string().trim().min(1, "name is required").max(100),
  role: z.enum(ROLES),
  password: z.string(),
});
const UserUpdate = z.object({
  name: z.string().trim().min(1, "name is required").max(100),
  role: z.enum(ROLES),
  disabled: z.boolean(),
});

const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: r }));
const ROLE_HINT = "ADMIN: everything. DBA: changes the mesh. DEVELOPER: reads the mesh, tests endpoints. AUDITOR: reads the mesh and the audit log.";

export function NewUser() {
  const { can, role } = useSession();
  if (!can("user.create")) return <AdminOnly role={role} />;
  return <NewUserForm />;
}

function NewUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ email: string; password: string | null } | null>(null);
  const form = useForm<z.input<typeof UserCreate>, unknown, z.output<typeof UserCreate>>({
    resolver: zodResolver(UserCreate),
    defaultValues: { email: "", name: "", role: "DEVELOPER", password: "" },
  });
  const create = useMutation(trpc.user.create.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      const res = await create.mutateAsync({ ...values, password: values.password || undefined });
      await queryClient.invalidateQueries(trpc.user.list.pathFilter());
      setCreated({ email: res.user.email, password: res.password });
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["email", "name", "role", "password"]));
    }
  });

  if (created) {
    return (
      <div>
        <PageHeader title="User created" back={{ href: "/settings/users", label: "Users" }} />
        <Section title={created.email}>
          {created.password ? (
            <div className="space-y-3">
              <Alert tone="warning" title="Copy this password now">
                It is shown only once. Give it to {created.email} over a safe channel; they can change it under Account.
              </Alert>
              <CopyBox label="Generated password" value={created.password} />
            </div>
          ) : (
            <p className="text-sm text-slate-700">The account uses the password you typed.</p>
          )}
          <div className="mt-4 flex gap-2">
            <Link href="/settings/users" className={btn.primary}>
              Done
            </Link>
          </div>
        </Section>
      </div>
    );
  }

  return (
    <div>
      <PageHeader title="New user" back={{ href: "/settings/users", label: "Users" }} />
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <FormSection title="Account">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <TextField name="email" label="Email" type="email" autoComplete="off" />
              <TextField name="name" label="Name" autoComplete="off" />
              <SelectField name="role" label="Role" options={ROLE_OPTIONS} hint={ROLE_HINT} />
              <TextField
                name="password"
                label="Password"
                type="password"
                autoComplete="new-password"
                hint="Optional. Leave blank to generate a strong one; it is shown once."
              />
            </div>
          </FormSection>
          <FormFooter saving={form.formState.isSubmitting} readOnly={false} cancelHref="/settings/users" formError={formError} saveLabel="Create user" />
        </form>
      </FormProvider>
    </div>
  );
}

export function EditUser({ id }: { id: string }) {
  const { can, role } = useSession();
  if (!can("user.update")) return <AdminOnly role={role} />;
  return <EditUserLoader id={id} />;
}

function EditUserLoader({ id }: { id: string }) {
  const trpc = useTRPC();
  // There is no user.get: the list is small and already cached from the Users page.
  const list = useQuery(trpc.user.list.queryOptions());
  if (list.error) return <QueryError error={list.error} what="users" />;
  if (!list.data) return <LoadingBlock />;
  const user = list.data.find((u) => u.id === id);
  if (!user) {
    return (
      <div>
        <PageHeader title="User" back={{ href: "/settings/users", label: "Users" }} />
        <Alert tone="error">There is no user {id}.</Alert>
      </div>
    );
  }
  return <EditUserForm key={`${user.id}-${user.role}-${user.disabled}-${user.name}`} user={user} />;
}

type User = RouterOutputs["user"]["list"][number];

function EditUserForm({ user }: { user: User }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { me } = useSession();
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<z.input<typeof UserUpdate>, unknown, z.output<typeof UserUpdate>>({
    resolver: zodResolver(UserUpdate),
    defaultValues: { name: user.name, role: user.role, disabled: user.disabled },
  });
  const update = useMutation(trpc.user.update.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      await update.mutateAsync({ id: user.id, ...values });
      await queryClient.invalidateQueries(trpc.user.list.pathFilter());
      toast(`User ${user.email} saved.`);
      router.push("/settings/users");
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["name", "role", "disabled"]));
    }
  });

  return (
    <div className="space-y-5">
      <PageHeader
        title={user.email}
        description={
          <>
            Created <Time value={user.createdAt} />; last sign-in <Time value={user.lastLoginAt} empty="never" />; two-factor{" "}
            {user.totpEnabled ? "on" : "off"}.
          </>
        }
        back={{ href: "/settings/users", label: "Users" }}
      />
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <FormSection title="Account">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <TextField name="name" label="Name" autoComplete="off" />
              <SelectField name="role" label="Role" options={ROLE_OPTIONS} hint={ROLE_HINT} />
            </div>
            <CheckboxField
              name="disabled"
              label="Disabled"
              hint={user.id === me.id ? "You cannot disable your own account." : "A disabled user cannot sign in; their sessions end at once."}
            />
          </FormSection>
          <FormFooter saving={form.formState.isSubmitting} readOnly={false} cancelHref="/settings/users" formError={formError} />
        </form>
      </FormProvider>
      <ResetPassword user={user} />
    </div>
  );
}

function ResetPassword({ user }: { user: User }) {
  const trpc = useTRPC();
  const reset = useMutation(trpc.user.resetPassword.mutationOptions());
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [password, setPassword] = useState<string | null>(null);
  const confirm = async () => {
    setError(null);
    try {
      const res = await reset.mutateAsync({ id: user.id });
      setPassword(res.password);
      setOpen(false);
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };
  return (
    <Section title="Password" description="Generates a new password and ends every session of this user.">
      {password ? (
        <div className="space-y-3">
          <Alert tone="warning" title="Copy the new password now">
            It is shown only once. Give it to {user.email} over a safe channel.
          </Alert>
          <CopyBox label="New password" value={password} />
        </div>
      ) : (
        <button type="button" className={btn.secondary} onClick={() => setOpen(true)}>
          <KeyRound aria-hidden="true" className="size-4" />
          Reset password
        </button>
      )}
      <ConfirmDialog
        open={open}
        title={`Reset the password of ${user.email}?`}
        confirmLabel="Yes, reset"
        busy={reset.isPending}
        error={error}
        onConfirm={confirm}
        onClose={() => setOpen(false)}
      >
        Their current password stops working and they are signed out everywhere.
      </ConfirmDialog>
    </Section>
  );
}
