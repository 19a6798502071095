"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Check, KeyRound, MessageSquare, RefreshCw, RotateCcw, ShieldOff, Trash2, X } from "lucide-react";
import Link from "next/link";
import { useId, useState, type ReactNode } from "react";
import { Alert } from "@/components/alert";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CopyBox } from "@/components/copy-box";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader, Section } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge } from "@/components/status-badge";
import { Time } from "@/components/time";
import { useToast } from "@/components/toast";
import { btn, inputClass, linkClass } from "@/components/ui";
import { agentDialAddress, connectionString } from "@/lib/connection";
import { errorInfo } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { KIND_LABEL, RequestStatus } from "./request-status";

type Request = RouterOutputs["databaseRequest"]["get"];

const RUNNING = new Set(["APPROVED", "PROVISIONING"]);

export function RequestDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.databaseRequest.get.queryOptions({ id }),
    // While the job runs, its steps and status move: poll until it settles.
    refetchInterval: (q) => (q.state.data && RUNNING.has(q.state.data.status) ? 1500 : 5000),
  });
  const back = { href: "/requests", label: "Requests" };
  if (query.error) {
    return (
      <>
        <PageHeader title="Database request" back={back} />
        <QueryError error={query.error} what="the request" />
      </>
    );
  }
  if (!query.data) return <LoadingBlock />;
  return <RequestView request={query.data} />;
}

function useActions() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [error, setError] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    try {
      await what();
      await queryClient.invalidateQueries(trpc.databaseRequest.pathFilter());
      toast(done);
      return true;
    } catch (err) {
      setError(errorInfo(err).message);
      return false;
    }
  };
  return { run, error, setError };
}

function RequestView({ request: r }: { request: Request }) {
  const { me, can } = useSession();
  const mine = r.requester.id === me.id;
  const reviewer = can("databaseRequest.approve");
  return (
    <div className="space-y-6">
      <PageHeader
        title={
          <span className="inline-flex flex-wrap items-center gap-2">
            <span>
              {KIND_LABEL[r.kind]}: <span className="font-mono">{r.virtualDatabase}</span>
            </span>
            <RequestStatus status={r.status} />
          </span>
        }
        back={{ href: "/requests", label: "Requests" }}
        description={r.purpose}
      />
      {r.lastError && (
        <Alert tone="error" title={r.status === "FAILED" ? "Provisioning failed; everything it made was removed" : "The last attempt failed; the job retries"}>
          {r.lastError}
        </Alert>
      )}
      <Summary r={r} />
      {r.status === "READY" && r.credential && (mine || reviewer) && <ConnectionPanel r={r} mine={mine} />}
      {r.status === "PENDING" && reviewer && <ReviewPanel r={r} mine={mine} />}
      {r.status === "CHANGES_REQUESTED" && mine && <ResubmitPanel r={r} />}
      <OperatorPanel r={r} mine={mine} reviewer={reviewer} />
      <Steps r={r} />
      <History r={r} />
    </div>
  );
}

function Summary({ r }: { r: Request }) {
  const rows: [string, ReactNode][] = [
    ["Environment", r.environment],
    ["Requested by", r.requester.email],
    ["Team or service", r.team || "—"],
    ["Requested", <Time key="t" value={r.createdAt} />],
    ["Approvals", `${r.approvals.length} of ${r.approvalsRequired}${r.approvals.length ? ` (${r.approvals.map((a) => a.email).join(", ")})` : ""}`],
  ];
  if (r.kind === "NEW_DATABASE") {
    rows.push(["Size", r.sizeClass], ["Extensions", r.extensions.length ? r.extensions.join(", ") : "none"], ["Placement", r.endpoint?.name ?? "chosen at approval"]);
    rows.push([
      "Lives in",
      r.placement === "SCHEMA"
        ? r.backendSchema
          ? `schema ${r.backendSchema} in shared database ${r.backendDatabase}`
          : `a schema in a shared database (${r.backendDatabase ? `${r.backendDatabase}, ` : ""}chosen at approval)`
        : r.backendDatabase
          ? `its own database, ${r.backendDatabase}`
          : "its own database",
    ]);
  }
  if (r.kind === "ACCESS") rows.push(["Access", r.accessMode === "READ_ONLY" ? "read-only" : "read-write"], ["Tables", r.tables.length ? r.tables.join(", ") : "every table"]);
  if (r.dropAfter) rows.push(["Dropped after", <Time key="d" value={r.dropAfter} />]);
  return (
    <Section title="Request">
      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[12rem_1fr]">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="font-medium text-slate-600">{k}</dt>
            <dd className="text-slate-900">{v}</dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}

function CommentBox({ id, value, onChange, label = "Comment" }: { id: string; value: string; onChange: (v: string) => void; label?: string }) {
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <textarea id={id} className={inputClass} rows={2} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

function ReviewPanel({ r, mine }: { r: Request; mine: boolean }) {
  const trpc = useTRPC();
  const { me } = useSession();
  const commentId = useId();
  const placementId = useId();
  const sharedId = useId();
  const [sharedDatabase, setSharedDatabase] = useState("");
  const [comment, setComment] = useState("");
  const placements = useQuery({ ...trpc.databaseRequest.placements.queryOptions({ environment: r.environment }), enabled: r.kind === "NEW_DATABASE" });
  const [endpointId, setEndpointId] = useState("");
  const approve = useMutation(trpc.databaseRequest.approve.mutationOptions());
  const changes = useMutation(trpc.databaseRequest.requestChanges.mutationOptions());
  const reject = useMutation(trpc.databaseRequest.reject.mutationOptions());
  const { run, error } = useActions();
  const [blockers, setBlockers] = useState<string[]>([]);
  const chosen = endpointId || r.endpoint?.id || placements.data?.[0]?.id || "";
  const alreadyApproved = r.approvals.some((a) => a.email === me.email);
  const schema = r.kind === "NEW_DATABASE" && r.placement === "SCHEMA";
  // The schema's database: the DBA's pick, else the chosen endpoint's own database (what the server defaults to).
  const endpointDatabase = placements.data?.find((p) => p.id === chosen)?.database ?? "";
  const shared = sharedDatabase.trim() || r.backendDatabase || endpointDatabase;

  const onApprove = () => {
    // Say every reason the button cannot work instead of greying it out.
    const b: string[] = [];
    if (mine) b.push("this is your own request: another DBA must review it");
    if (alreadyApproved) b.push("you have already approved it: it needs another DBA");
    if (r.kind === "NEW_DATABASE" && !chosen) b.push(`environment ${r.environment} has no primary PostgreSQL endpoint to place it on`);
    if (schema && !/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(shared)) b.push("the shared database name is letters, digits, _, $ and -, starting with a letter or _");
    setBlockers(b);
    if (b.length) return;
    const placement = r.kind === "NEW_DATABASE" ? { endpointId: chosen, ...(schema ? { sharedDatabase: shared } : {}) } : {};
    void run(() => approve.mutateAsync({ id: r.id, comment, ...placement }), "Approved.");
  };
  const needsComment = (what: string) => {
    if (!comment.trim()) {
      setBlockers([`write a comment: the requester needs to know why (${what})`]);
      return false;
    }
    setBlockers([]);
    return true;
  };

  return (
    <Section title="Review" description={`This environment needs ${r.approvalsRequired} DBA approval${r.approvalsRequired === 1 ? "" : "s"}; ${r.approvals.length} so far.`}>
      <div className="space-y-3">
        {r.kind === "NEW_DATABASE" && (
          <div className="sm:w-80">
            <label htmlFor={placementId} className="mb-1 block text-sm font-medium text-slate-800">
              Placement
            </label>
            <select id={placementId} className={inputClass} value={chosen} onChange={(e) => setEndpointId(e.target.value)}>
              {(placements.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.host}:{p.port})
                </option>
              ))}
            </select>
          </div>
        )}
        {schema && (
          <div className="sm:w-80">
            <label htmlFor={sharedId} className="mb-1 block text-sm font-medium text-slate-800">
              Shared database
            </label>
            <input id={sharedId} className={inputClass} value={sharedDatabase} placeholder={r.backendDatabase || endpointDatabase} onChange={(e) => setSharedDatabase(e.target.value)} />
            <p className="mt-1 text-xs text-slate-500">An existing database on that server: the schema is made in it. Empty: {r.backendDatabase || endpointDatabase || "the endpoint's own database"}.</p>
          </div>
        )}
        <CommentBox id={commentId} value={comment} onChange={setComment} label="Review comment" />
        {blockers.length > 0 && (
          <Alert tone="warning" title="Not yet">
            <ul className="list-disc pl-5">
              {blockers.map((b) => (
                <li key={b}>{b}</li>
              ))}
            </ul>
          </Alert>
        )}
        {error && <Alert tone="error">{error}</Alert>}
        <div className="flex flex-wrap gap-2">
          <button type="button" className={btn.primary} onClick={onApprove} disabled={approve.isPending}>
            <Check aria-hidden="true" className="size-4" />
            Approve
          </button>
          <button type="button" className={btn.secondary} onClick={() => needsComment("ask for changes") && void run(() => changes.mutateAsync({ id: r.id, comment }), "Sent back for changes.")}>
            <MessageSquare aria-hidden="true" className="size-4" />
            Ask for changes
          </button>
          <button type="button" className={btn.dangerOutline} onClick={() => needsComment("reject") && void run(() => reject.mutateAsync({ id: r.id, comment }), "Rejected.")}>
            <X aria-hidden="true" className="size-4" />
            Reject
          </button>
        </div>
      </div>
    </Section>
  );
}

function ResubmitPanel({ r }: { r: Request }) {
  const trpc = useTRPC();
  const commentId = useId();
  const purposeId = useId();
  const sizeId = useId();
  const placeId = useId();
  const accessId = useId();
  const tablesId = useId();
  const [comment, setComment] = useState("");
  const [purpose, setPurpose] = useState(r.purpose);
  const [sizeClass, setSizeClass] = useState(r.sizeClass as "small" | "medium" | "large");
  // What a DBA most often asks to change: where a new database lives, and how much an access request reaches.
  const [placement, setPlacement] = useState(r.placement);
  const [accessMode, setAccessMode] = useState(r.accessMode ?? "READ_ONLY");
  const [tables, setTables] = useState(r.tables.join(", "));
  const changes =
    r.kind === "NEW_DATABASE"
      ? { sizeClass, placement }
      : r.kind === "ACCESS"
        ? { accessMode, tables: tables.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean) }
        : {};
  const resubmit = useMutation(trpc.databaseRequest.resubmit.mutationOptions());
  const { run, error } = useActions();
  const last = [...r.events].reverse().find((e) => e.kind === "changes_requested");
  return (
    <Section title="Changes requested">
      <div className="space-y-3">
        {last && (
          <Alert tone="warning" title={`${last.actorEmail} asked for changes`}>
            {last.comment}
          </Alert>
        )}
        <div>
          <label htmlFor={purposeId} className="mb-1 block text-sm font-medium text-slate-800">
            Purpose
          </label>
          <textarea id={purposeId} className={inputClass} rows={2} value={purpose} onChange={(e) => setPurpose(e.target.value)} />
        </div>
        {r.kind === "NEW_DATABASE" && (
          <div className="sm:w-64">
            <label htmlFor={sizeId} className="mb-1 block text-sm font-medium text-slate-800">
              Expected size
            </label>
            <select id={sizeId} className={inputClass} value={sizeClass} onChange={(e) => setSizeClass(e.target.value as typeof sizeClass)}>
              <option value="small">small (under 10 GB)</option>
              <option value="medium">medium (10–100 GB)</option>
              <option value="large">large (over 100 GB)</option>
            </select>
          </div>
        )}
        {r.kind === "NEW_DATABASE" && (
          <div className="sm:w-64">
            <label htmlFor={placeId} className="mb-1 block text-sm font-medium text-slate-800">
              Where it lives
            </label>
            <select id={placeId} className={inputClass} value={placement} onChange={(e) => setPlacement(e.target.value as typeof placement)}>
              <option value="DATABASE">a database of its own</option>
              <option value="SCHEMA">a schema in a shared database</option>
            </select>
          </div>
        )}
        {r.kind === "ACCESS" && (
          <>
            <div className="sm:w-64">
              <label htmlFor={accessId} className="mb-1 block text-sm font-medium text-slate-800">
                Access
              </label>
              <select id={accessId} className={inputClass} value={accessMode} onChange={(e) => setAccessMode(e.target.value as typeof accessMode)}>
                <option value="READ_ONLY">read-only</option>
                <option value="READ_WRITE">read-write</option>
              </select>
            </div>
            <div>
              <label htmlFor={tablesId} className="mb-1 block text-sm font-medium text-slate-800">
                Limit to tables
              </label>
              <input id={tablesId} className={inputClass} value={tables} placeholder="every table" onChange={(e) => setTables(e.target.value)} />
              <p className="mt-1 text-xs text-slate-500">Table patterns separated by commas, e.g. public.orders, reporting.*. Empty: every table.</p>
            </div>
          </>
        )}
        <CommentBox id={commentId} value={comment} onChange={setComment} label="What you changed" />
        {error && <Alert tone="error">{error}</Alert>}
        <button
          type="button"
          className={btn.primary}
          onClick={() =>
            void run(
              () => resubmit.mutateAsync({ id: r.id, comment, purpose, ...changes }),
              "Resubmitted for review.",
            )
          }
        >
          Resubmit
        </button>
      </div>
    </Section>
  );
}

function ConnectionPanel({ r, mine }: { r: Request; mine: boolean }) {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agent.list.queryOptions());
  const reveal = useMutation(trpc.databaseRequest.revealPassword.mutationOptions());
  const rotate = useMutation(trpc.databaseRequest.rotateCredential.mutationOptions());
  const renew = useMutation(trpc.databaseRequest.renewCredential.mutationOptions());
  const revoke = useMutation(trpc.databaseRequest.revokeCredential.mutationOptions());
  const [password, setPassword] = useState<{ value: string; rotated: boolean } | null>(null);
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const { run, error } = useActions();
  const cred = r.credential!;
  const dial = agentDialAddress(agents.data?.agents);
  const dsn = connectionString({ user: cred.name, address: dial.address, database: r.virtualDatabase });
  const revoked = cred.revokedAt !== null;

  return (
    <Section title="Connection" description="Through the dbmesh agent: your application never sees the database server's own credentials.">
      <div className="space-y-3">
        {revoked ? (
          <Alert tone="error" title="Credential revoked">
            <span className="font-mono">{cred.name}</span> was revoked <Time value={cred.revokedAt!} />: the agent refuses it.
          </Alert>
        ) : (
          <dl className="grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-[12rem_1fr]">
            <dt className="font-medium text-slate-600">Credential</dt>
            <dd className="font-mono">{cred.name}</dd>
            <dt className="font-medium text-slate-600">Lease ends</dt>
            <dd>{cred.expiresAt ? <Time value={cred.expiresAt} /> : "never"}</dd>
            {cred.previousValidUntil && new Date(cred.previousValidUntil) > new Date() && (
              <>
                <dt className="font-medium text-slate-600">Old password works until</dt>
                <dd>
                  <Time value={cred.previousValidUntil} />
                </dd>
              </>
            )}
          </dl>
        )}
        {password ? (
          <>
            <Alert tone="warning" title="Copy the password now">
              It is shown only once and cannot be recovered: dbmesh keeps only a SCRAM-SHA-256 verifier of it.
              {password.rotated && " The old password keeps working for the rotation grace period, so deploys can roll."}
            </Alert>
            <CopyBox label="Password" value={password.value} />
            <CopyBox
              label="Connection string"
              value={connectionString({ user: cred.name, password: password.value, address: dial.address, database: r.virtualDatabase })}
              multiline
              hint={dial.fromAgent ? `Through the agent at ${dial.address}.` : `No agent reports its address yet, so this assumes one at ${dial.address}.`}
            />
          </>
        ) : (
          <CopyBox label="Connection string (without the password)" value={dsn} multiline />
        )}
        {mine && !revoked && r.passwordExpired && !password && (
          <Alert tone="warning" title="Password expired — rotate to get a new password">
            The issued password was never shown and its reveal window ended
            {r.passwordRevealUntil && (
              <>
                {" "}
                <Time value={r.passwordRevealUntil} />
              </>
            )}
            , so dbmesh deleted it. “Rotate password” gives you a new one, shown once.
          </Alert>
        )}
        {mine && !revoked && r.passwordPending && !password && r.passwordRevealUntil && (
          <p className="text-sm text-slate-600">
            The password can be shown once, until <Time value={r.passwordRevealUntil} />; after that, rotate for a new one.
          </p>
        )}
        {error && <Alert tone="error">{error}</Alert>}
        {!revoked && (
          <div className="flex flex-wrap gap-2">
            {mine && r.passwordPending && !password && (
              <button
                type="button"
                className={btn.primary}
                onClick={async () => {
                  try {
                    const res = await reveal.mutateAsync({ id: r.id });
                    setPassword({ value: res.password, rotated: false });
                  } catch (err) {
                    await run(() => Promise.reject(err), "");
                  }
                }}
              >
                <KeyRound aria-hidden="true" className="size-4" />
                Show the password (once)
              </button>
            )}
            <button type="button" className={btn.secondary} onClick={() => void run(() => renew.mutateAsync({ id: cred.id }), "Lease renewed.")}>
              <RefreshCw aria-hidden="true" className="size-4" />
              Renew lease
            </button>
            <button
              type="button"
              className={btn.secondary}
              onClick={async () => {
                try {
                  const res = await rotate.mutateAsync({ id: cred.id });
                  setPassword({ value: res.password, rotated: true });
                  await run(async () => {}, "Password rotated.");
                } catch (err) {
                  await run(() => Promise.reject(err), "");
                }
              }}
            >
              <RotateCcw aria-hidden="true" className="size-4" />
              Rotate password
            </button>
            <button type="button" className={btn.dangerOutline} onClick={() => setConfirmRevoke(true)}>
              <ShieldOff aria-hidden="true" className="size-4" />
              Revoke
            </button>
          </div>
        )}
        <ConfirmDialog
          open={confirmRevoke}
          title={`Revoke ${cred.name}?`}
          confirmLabel="Revoke"
          busy={revoke.isPending}
          onClose={() => setConfirmRevoke(false)}
          onConfirm={async () => {
            const ok = await run(() => revoke.mutateAsync({ id: cred.id }), "Credential revoked.");
            if (ok) {
              setConfirmRevoke(false);
              setPassword(null);
            }
          }}
        >
          New connections are refused at once and open ones are closed within seconds. This cannot be undone: request access again for a new credential.
        </ConfirmDialog>
      </div>
    </Section>
  );
}

function OperatorPanel({ r, mine, reviewer }: { r: Request; mine: boolean; reviewer: boolean }) {
  const trpc = useTRPC();
  const commentId = useId();
  const [comment, setComment] = useState("");
  const retry = useMutation(trpc.databaseRequest.retry.mutationOptions());
  const dropNow = useMutation(trpc.databaseRequest.dropNow.mutationOptions());
  const submit = useMutation(trpc.databaseRequest.submit.mutationOptions());
  const commentOn = useMutation(trpc.databaseRequest.comment.mutationOptions());
  const [confirmDecommission, setConfirmDecommission] = useState(false);
  const { run, error } = useActions();
  const actions: ReactNode[] = [];
  if (reviewer && (r.status === "FAILED" || r.status === "APPROVED")) {
    actions.push(
      <button key="retry" type="button" className={btn.secondary} onClick={() => void run(() => retry.mutateAsync({ id: r.id }), "Queued again.")}>
        <RefreshCw aria-hidden="true" className="size-4" />
        Retry
      </button>,
    );
  }
  if (reviewer && r.status === "DECOMMISSION_SCHEDULED") {
    actions.push(
      <button key="drop" type="button" className={btn.danger} onClick={() => void run(() => dropNow.mutateAsync({ id: r.id, comment: comment || "grace period cut short" }), "Dropping now.")}>
        <Trash2 aria-hidden="true" className="size-4" />
        Drop now
      </button>,
    );
  }
  if (r.kind === "NEW_DATABASE" && r.status === "READY" && (mine || reviewer)) {
    actions.push(
      <button key="decom" type="button" className={btn.dangerOutline} onClick={() => setConfirmDecommission(true)}>
        <Trash2 aria-hidden="true" className="size-4" />
        Request decommission
      </button>,
    );
  }
  if (!mine && !reviewer) return null;
  return (
    <Section title="Discussion">
      <div className="space-y-3">
        <CommentBox id={commentId} value={comment} onChange={setComment} />
        {error && <Alert tone="error">{error}</Alert>}
        <div className="flex flex-wrap gap-2">
          <button type="button" className={btn.secondary} disabled={!comment.trim()} onClick={async () => (await run(() => commentOn.mutateAsync({ id: r.id, comment }), "Comment added.")) && setComment("")}>
            <MessageSquare aria-hidden="true" className="size-4" />
            Add comment
          </button>
          {actions}
        </div>
        <ConfirmDialog
          open={confirmDecommission}
          title={`Decommission ${r.virtualDatabase}?`}
          confirmLabel="Request decommission"
          busy={submit.isPending}
          onClose={() => setConfirmDecommission(false)}
          onConfirm={async () => {
            const ok = await run(
              () => submit.mutateAsync({ kind: "DECOMMISSION", virtualDatabase: r.virtualDatabase, purpose: comment.trim() || "no longer needed" }),
              "Decommission requested.",
            );
            if (ok) setConfirmDecommission(false);
          }}
        >
          Once approved: a final backup (when backups are set up), every credential revoked, and the database dropped after the environment&apos;s grace period.
        </ConfirmDialog>
      </div>
    </Section>
  );
}

const STEP_TONE = { DONE: "success", RUNNING: "running", FAILED: "danger", SKIPPED: "neutral" } as const;

function Steps({ r }: { r: Request }) {
  if (r.steps.length === 0) return null;
  return (
    <Section title="Steps">
      <ol className="space-y-2 text-sm">
        {r.steps.map((s) => (
          <li key={s.step} className="flex flex-wrap items-start gap-2">
            <StatusBadge tone={STEP_TONE[s.status as keyof typeof STEP_TONE] ?? "neutral"} label={s.status.toLowerCase()} ariaLabel={`${s.step}: ${s.status.toLowerCase()}`} />
            <span className="font-mono">{s.step}</span>
            <span className="text-slate-600">{s.detail}</span>
            {s.attempts > 1 && <span className="text-xs text-slate-500">({s.attempts} attempts)</span>}
          </li>
        ))}
      </ol>
    </Section>
  );
}

function History({ r }: { r: Request }) {
  return (
    <Section title="History">
      <ol className="space-y-2 text-sm">
        {r.events.map((e) => (
          <li key={e.id}>
            <Time value={e.at} /> · <span className="font-medium">{e.kind.replace(/_/g, " ")}</span> by {e.actorEmail}
            {e.comment && <p className="mt-0.5 whitespace-pre-wrap text-slate-700">{e.comment}</p>}
          </li>
        ))}
      </ol>
      <p className="mt-3 text-xs text-slate-500">
        The review and the job&apos;s changes are also in the{" "}
        <Link href={`/audit?object=${encodeURIComponent(r.id)}`} className={linkClass}>
          console audit log
        </Link>{" "}
        (the virtual database and credential under their own names).
      </p>
    </Section>
  );
}
