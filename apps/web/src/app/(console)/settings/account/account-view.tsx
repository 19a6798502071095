"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ShieldCheck } from "lucide-react";
import { useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { CopyBox } from "@/components/copy-box";
import { applyServerError, TextField } from "@/components/form-fields";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { btn } from "@/components/ui";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";

const ChangePassword = z.object({
  currentPassword: z.string().min(1, "current password is required"),
  newPassword: z.string().min(1, "new password is required"),
});
const Code = z.object({ code: z.string().trim().regex(/^\d{6}$/, "enter the 6-digit code from your authenticator app") });

export function AccountView() {
  const { me } = useSession();
  return (
    <div className="space-y-5">
      <PageHeader title="Account" description="Your sign-in details." />
      <Section title="You">
        <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-3">
          <div>
            <dt className="text-slate-500">Email</dt>
            <dd className="font-medium break-all">{me.email}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Name</dt>
            <dd className="font-medium">{me.name}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Role</dt>
            <dd className="font-medium">{me.role}</dd>
          </div>
        </dl>
      </Section>
      <TwoFactor />
      <PasswordForm />
    </div>
  );
}

function PasswordForm() {
  const trpc = useTRPC();
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const form = useForm<z.infer<typeof ChangePassword>>({
    resolver: zodResolver(ChangePassword),
    defaultValues: { currentPassword: "", newPassword: "" },
  });
  const change = useMutation(trpc.auth.changePassword.mutationOptions());
  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    setDone(false);
    try {
      await change.mutateAsync(values);
      form.reset();
      setDone(true);
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["currentPassword", "newPassword"]));
    }
  });
  return (
    <Section title="Change password" description="Your other sessions are signed out when the password changes.">
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-4">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <TextField name="currentPassword" label="Current password" type="password" autoComplete="current-password" />
            <TextField name="newPassword" label="New password" type="password" autoComplete="new-password" hint="Long and hard to guess; a passphrase works well." />
          </div>
          {formError && <Alert tone="error">{formError}</Alert>}
          {done && <Alert tone="success">Password changed. Other sessions were signed out.</Alert>}
          <button type="submit" className={btn.primary} disabled={form.formState.isSubmitting}>
            Change password
          </button>
        </form>
      </FormProvider>
    </Section>
  );
}

function TwoFactor() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { me } = useSession();
  const [setup, setSetup] = useState<{ secret: string; uri: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const begin = useMutation(trpc.auth.totpBegin.mutationOptions());
  const confirm = useMutation(trpc.auth.totpConfirm.mutationOptions());
  const disable = useMutation(trpc.auth.totpDisable.mutationOptions());
  const codeForm = useForm<z.infer<typeof Code>>({ resolver: zodResolver(Code), defaultValues: { code: "" } });

  const refreshMe = () => queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });

  const start = async () => {
    setError(null);
    setNotice(null);
    try {
      setSetup(await begin.mutateAsync());
    } catch (err) {
      setError(errorInfo(err).message);
    }
  };

  const onConfirm = codeForm.handleSubmit(async ({ code }) => {
    setError(null);
    try {
      await confirm.mutateAsync({ code });
      setSetup(null);
      codeForm.reset();
      setNotice("Two-factor authentication is on. You will be asked for a code at every sign-in.");
      await refreshMe();
    } catch (err) {
      const msg = applyServerError(err, codeForm.setError, ["code"]);
      setError(msg);
    }
  });

  const onDisable = codeForm.handleSubmit(async ({ code }) => {
    setError(null);
    try {
      await disable.mutateAsync({ code });
      codeForm.reset();
      setNotice("Two-factor authentication is off.");
      await refreshMe();
    } catch (err) {
      setError(applyServerError(err, codeForm.setError, ["code"]));
    }
  });

  return (
    <Section
      title="Two-factor authentication"
      description="A 6-digit code from an authenticator app (TOTP), asked for at every sign-in."
      actions={
        me.totpEnabled ? (
          <StatusBadge tone="success" label="on" />
        ) : (
          <StatusBadge tone={me.mfaRequired ? "warning" : "neutral"} label={me.mfaRequired ? "required, off" : "off"} />
        )
      }
    >
      <div className="space-y-4">
        {notice && <Alert tone="success">{notice}</Alert>}
        {me.mfaRequired && !me.totpEnabled && (
          <Alert tone="warning">Your role ({me.role}) must use two-factor authentication. Set it up to use the rest of the console.</Alert>
        )}
        {error && <Alert tone="error">{error}</Alert>}

        {!me.totpEnabled && !setup && (
          <button type="button" className={btn.primary} onClick={start} disabled={begin.isPending}>
            <ShieldCheck aria-hidden="true" className="size-4" />
            Set up
          </button>
        )}

        {!me.totpEnabled && setup && (
          <FormProvider {...codeForm}>
            <form onSubmit={onConfirm} noValidate className="space-y-4">
              <ol className="list-decimal space-y-1 pl-5 text-sm text-slate-700">
                <li>Add an account in your authenticator app with the secret below (or paste the otpauth URI).</li>
                <li>Enter the 6-digit code it shows.</li>
              </ol>
              <CopyBox label="Secret (base32)" value={setup.secret} />
              <CopyBox label="otpauth URI" value={setup.uri} />
              <TextField name="code" label="Two-factor code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} className="sm:max-w-xs" />
              <div className="flex gap-2">
                <button type="submit" className={btn.primary} disabled={codeForm.formState.isSubmitting}>
                  Turn on two-factor
                </button>
                <button type="button" className={btn.secondary} onClick={() => setSetup(null)}>
                  Cancel
                </button>
              </div>
            </form>
          </FormProvider>
        )}

        {me.totpEnabled &&
          (me.mfaRequired ? (
            <p className="text-sm text-slate-600">Two-factor authentication is required for your role and cannot be turned off.</p>
          ) : (
            <FormProvider {...codeForm}>
              <form onSubmit={onDisable} noValidate className="space-y-3">
                <p className="text-sm text-slate-700">To turn it off, enter a current code from your authenticator app.</p>
                <TextField name="code" label="Two-factor code" inputMode="numeric" autoComplete="one-time-code" maxLength={6} className="sm:max-w-xs" />
                <button type="submit" className={btn.dangerOutline} disabled={codeForm.formState.isSubmitting}>
                  Turn off two-factor
                </button>
              </form>
            </FormProvider>
          ))}
      </div>
    </Section>
  );
}
