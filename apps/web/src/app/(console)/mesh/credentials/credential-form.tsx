"use client";

import { ResourceName } from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { KeyRound } from "lucide-react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type ReactNode } from "react";
import { FormProvider, useForm } from "react-hook-form";
import { z } from "zod";
import { Alert } from "@/components/alert";
import { ConfirmDialog, DeleteButton } from "@/components/confirm-dialog";
import { CopyBox } from "@/components/copy-box";
import { applyServerError, CheckboxGroup, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { btn, linkClass } from "@/components/ui";
import { agentDialAddress, connectionString } from "@/lib/connection";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";

type Credential = RouterOutputs["credential"]["list"][number];
type Vdb = RouterOutputs["virtualDatabase"]["list"][number];

// Mirrors CredentialInput (packages/api/src/services/credentials.ts), which is server code: the name
// is what a PostgreSQL driver sends as its user, so it follows PostgreSQL's role-name rules.
const CredentialForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "name is required")
    .max(63, "name must be at most 63 characters")
    .regex(/^[a-z_][a-z0-9_]*$/, "name must be lowercase letters, digits and '_', starting with a letter or '_'"),
  description: z.string().max(500, "description must be at most 500 characters"),
  virtualDatabases: z.array(ResourceName).min(1, "grant at least one virtual database"),
});
type FormIn = z.input<typeof CredentialForm>;
type FormOut = z.output<typeof CredentialForm>;

const FIELDS = ["name", "description", "virtualDatabases"];

/** A password just generated: shown once, here, and never again. */
type Secret = { kind: "created" | "rotated"; id: string; name: string; password: string; virtualDatabase: string | undefined };

export function CredentialEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const credentials = useQuery(trpc.credential.list.queryOptions());
  const vdbs = useQuery(trpc.virtualDatabase.list.queryOptions());
  // Only for the connection string's host: a failure here falls back to 127.0.0.1.
  const agents = useQuery(trpc.agent.list.queryOptions());
  const [secret, setSecret] = useState<Secret | null>(null);
  const back = { href: "/mesh/credentials", label: "Credentials" };

  const error = credentials.error ?? vdbs.error;
  if (error) {
    return (
      <>
        <PageHeader title="Credential" back={back} />
        <QueryError error={error} what="the credential" />
      </>
    );
  }
  if (!credentials.data || !vdbs.data) return <LoadingBlock />;
  const credential = id ? credentials.data.find((c) => c.id === id) : undefined;
  if (id && !credential) {
    return (
      <>
        <PageHeader title="Credential" back={back} />
        <Alert tone="error" title="Could not load the credential">
          There is no credential with id {id}: it may have been deleted.{" "}
          <Link href="/mesh/credentials" className={linkClass}>
            Back to the credentials
          </Link>
        </Alert>
      </>
    );
  }
  const dial = agentDialAddress(agents.data?.agents);
  const secretPanel = secret && <SecretPanel secret={secret} address={dial.address} fromAgent={dial.fromAgent} onDone={() => setSecret(null)} />;

  // A new credential's password replaces the form: the credential exists now, and its page is one click away.
  if (!credential && secret) {
    return (
      <div>
        <PageHeader title={`Credential "${secret.name}" created`} back={back} />
        {secretPanel}
      </div>
    );
  }
  return (
    <CredentialFormView
      key={credential?.id ?? "new"}
      credential={credential}
      vdbs={vdbs.data}
      preset={params.get("vdb") ?? undefined}
      secretPanel={secretPanel}
      onSecret={setSecret}
    />
  );
}

function SecretPanel({ secret, address, fromAgent, onDone }: { secret: Secret; address: string; fromAgent: boolean; onDone: () => void }) {
  const dsn = secret.virtualDatabase
    ? connectionString({ user: secret.name, password: secret.password, address, database: secret.virtualDatabase })
    : null;
  return (
    <Section title={secret.kind === "created" ? `Password of "${secret.name}"` : `New password of "${secret.name}"`}>
      <div className="space-y-3">
        <Alert tone="warning" title="Copy the password now">
          It is shown only once and cannot be recovered: the agents keep only a SCRAM verifier of it.
          {secret.kind === "rotated" && " The old password stops working as soon as the agents pick up the change, within seconds."}
        </Alert>
        <CopyBox label="Password" value={secret.password} />
        {dsn && (
          <CopyBox
            label="Connection string"
            value={dsn}
            multiline
            hint={
              fromAgent
                ? `Through the agent at ${address}, to the virtual database "${secret.virtualDatabase}".`
                : `No agent reports its address yet, so this assumes one on the application's host (${address}).`
            }
          />
        )}
        <div className="flex flex-wrap gap-2">
          {secret.kind === "created" ? (
            <>
              <Link href={`/mesh/credentials/${secret.id}`} className={btn.secondary}>
                Open the credential
              </Link>
              <Link href="/mesh/credentials" className={btn.secondary}>
                Back to credentials
              </Link>
            </>
          ) : (
            <button type="button" className={btn.secondary} onClick={onDone}>
              Done
            </button>
          )}
        </div>
      </div>
    </Section>
  );
}

function CredentialFormView({
  credential,
  vdbs,
  preset,
  secretPanel,
  onSecret,
}: {
  credential?: Credential;
  vdbs: Vdb[];
  preset?: string;
  secretPanel: ReactNode;
  onSecret: (s: Secret) => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = credential ? !can("credential.update") : !can("credential.create");
  const [formError, setFormError] = useState<string | null>(null);
  const [rotateOpen, setRotateOpen] = useState(false);
  const [rotateError, setRotateError] = useState<string | null>(null);

  const vdbNames = vdbs.map((v) => v.name);
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(CredentialForm),
    defaultValues: credential
      ? { name: credential.name, description: credential.description, virtualDatabases: credential.virtualDatabases }
      : { name: "", description: "", virtualDatabases: preset && vdbNames.includes(preset) ? [preset] : [] },
  });
  const create = useMutation(trpc.credential.create.mutationOptions());
  const update = useMutation(trpc.credential.update.mutationOptions());
  const rotate = useMutation(trpc.credential.rotate.mutationOptions());
  const remove = useMutation(trpc.credential.delete.mutationOptions());

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      if (credential) {
        await update.mutateAsync({ id: credential.id, data: values });
        await queryClient.invalidateQueries();
        toast(`Credential "${values.name}" saved.`);
        router.push("/mesh/credentials");
      } else {
        const res = await create.mutateAsync(values);
        await queryClient.invalidateQueries(trpc.credential.list.pathFilter());
        toast(`Credential "${res.name}" created.`);
        onSecret({ kind: "created", id: res.id, name: res.name, password: res.password, virtualDatabase: values.virtualDatabases[0] });
      }
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  const doRotate = async () => {
    if (!credential) return;
    setRotateError(null);
    try {
      const res = await rotate.mutateAsync({ id: credential.id });
      setRotateOpen(false);
      toast(`A new password was generated for "${res.name}".`);
      onSecret({ kind: "rotated", id: res.id, name: res.name, password: res.password, virtualDatabase: credential.virtualDatabases[0] });
    } catch (err) {
      setRotateError(errorInfo(err).message);
    }
  };

  const mayRotate = !!credential && can("credential.rotate");
  const mayDelete = !!credential && can("credential.delete");

  return (
    <div>
      <PageHeader
        title={credential ? <span className="font-mono">{credential.name}</span> : "New credential"}
        description={
          credential
            ? credential.description || `Credential ${credential.id}`
            : "A user name and generated password an application logs in to the agent with."
        }
        back={{ href: "/mesh/credentials", label: "Credentials" }}
        actions={
          credential && (mayRotate || mayDelete) ? (
            <>
              {mayRotate && (
                <button
                  type="button"
                  className={btn.secondary}
                  onClick={() => {
                    setRotateError(null);
                    setRotateOpen(true);
                  }}
                >
                  <KeyRound aria-hidden="true" className="size-4" />
                  Rotate password
                </button>
              )}
              {mayDelete && (
                <DeleteButton
                  what={`credential "${credential.name}"`}
                  consequence="Applications that log in with it are refused as soon as the agents pick up the change, within seconds. This cannot be undone."
                  onDelete={async () => {
                    await remove.mutateAsync({ id: credential.id });
                    await queryClient.invalidateQueries();
                    toast(`Credential "${credential.name}" deleted.`);
                    router.push("/mesh/credentials");
                  }}
                />
              )}
            </>
          ) : undefined
        }
      />
      {credential && (
        <ConfirmDialog
          open={rotateOpen}
          title={`Rotate the password of "${credential.name}"?`}
          confirmLabel="Yes, rotate"
          busy={rotate.isPending}
          error={rotateError}
          onConfirm={doRotate}
          onClose={() => setRotateOpen(false)}
        >
          A new password is generated and shown once. The current one stops working as soon as the agents pick up the change, so
          update the applications that use it right away.
        </ConfirmDialog>
      )}

      {secretPanel && <div className="mb-5">{secretPanel}</div>}
      {readOnly && <ReadOnlyNote role={role} what="credentials" />}
      {vdbs.length === 0 && !readOnly && (
        <Alert tone="warning" className="mb-4">
          A credential is granted on virtual databases, and none exists yet.{" "}
          <Link href="/mesh/virtual-databases/new" className={linkClass}>
            Create a virtual database
          </Link>{" "}
          first.
        </Alert>
      )}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="Credential">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField
                  name="name"
                  label="Name"
                  autoComplete="off"
                  spellCheck={false}
                  className="[&_input]:font-mono"
                  hint="The user name in the connection string: lowercase letters, digits and '_', like a PostgreSQL role, e.g. “orders_app”."
                />
                <TextareaField name="description" label="Description" rows={2} placeholder="Which application uses it" />
              </div>
              {!credential && (
                <p className="text-sm text-slate-600">The password is generated when you save, and shown once.</p>
              )}
            </FormSection>
            <FormSection title="Grants" description="The virtual databases this credential may connect to. Access rules then decide what it may run there.">
              <CheckboxGroup
                name="virtualDatabases"
                legend="Virtual databases"
                options={vdbs.map((v) => ({ value: v.name, label: v.name }))}
                emptyText="No virtual databases yet."
              />
            </FormSection>
          </fieldset>
          <FormFooter
            saving={form.formState.isSubmitting}
            readOnly={readOnly}
            cancelHref="/mesh/credentials"
            formError={formError}
            saveLabel={credential ? "Save" : "Create credential"}
          />
        </form>
      </FormProvider>
    </div>
  );
}
