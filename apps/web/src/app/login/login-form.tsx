"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Database, LogIn } from "lucide-react";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { applyServerError, TextField } from "@/components/form-fields";
import { btn, cardClass } from "@/components/ui";
import { safeNext } from "@/lib/format";
import { useTRPC } from "@/trpc/react";

// The same rules as auth.login's input; the server checks again.
const LoginInput = z.object({
  email: z.string().trim().min(1, "email is required").max(320),
  password: z.string().min(1, "password is required").max(1000),
  totpCode: z.string().trim().max(10),
});
type LoginInput = z.infer<typeof LoginInput>;

export function LoginForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const [needTotp, setNeedTotp] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<LoginInput>({
    resolver: zodResolver(LoginInput),
    defaultValues: { email: "", password: "", totpCode: "" },
  });
  const login = useMutation(trpc.auth.login.mutationOptions());

  useEffect(() => {
    if (needTotp) form.setFocus("totpCode");
  }, [needTotp, form]);

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    if (needTotp && !/^\d{6}$/.test(values.totpCode)) {
      form.setError("totpCode", { message: "enter the 6-digit code from your authenticator app" });
      return;
    }
    try {
      const result = await login.mutateAsync({
        email: values.email,
        password: values.password,
        totpCode: needTotp ? values.totpCode : undefined,
      });
      if (result.status === "totp_required") {
        setNeedTotp(true);
        return;
      }
      // Whatever an earlier session cached belongs to someone else.
      queryClient.clear();
      router.replace(result.mfaEnrollmentRequired ? "/settings/account" : safeNext(params.get("next")));
    } catch (err) {
      setFormError(applyServerError(err, form.setError, ["email", "password", "totpCode"]));
    }
  });

  return (
    <div className="w-full max-w-sm">
      <div className="mb-6 flex flex-col items-center gap-2 text-center">
        <span className="flex size-10 items-center justify-center rounded-lg bg-indigo-600 text-white">
          <Database aria-hidden="true" className="size-5" />
        </span>
        <h1 className="text-xl font-semibold tracking-tight">Sign in to dbmesh</h1>
        <p className="text-sm text-slate-600">The control plane of your PostgreSQL fleet.</p>
      </div>
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className={`${cardClass} space-y-4 p-6`}>
          <TextField name="email" label="Email" type="email" autoComplete="username" autoFocus />
          <TextField name="password" label="Password" type="password" autoComplete="current-password" />
          {needTotp && (
            <TextField
              name="totpCode"
              label="Two-factor code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              hint="The 6-digit code from your authenticator app."
            />
          )}
          {formError && <Alert tone="error">{formError}</Alert>}
          <button type="submit" className={`${btn.primary} w-full`} disabled={form.formState.isSubmitting}>
            <LogIn aria-hidden="true" className="size-4" />
            {form.formState.isSubmitting ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </FormProvider>
    </div>
  );
}
