import { Loader2 } from "lucide-react";
import { errorInfo } from "@/trpc/errors";
import { Alert } from "./alert";

export function Spinner({ label = "Loading…" }: { label?: string }) {
  return (
    <span role="status" className="inline-flex items-center gap-2 text-sm text-slate-600">
      <Loader2 aria-hidden="true" className="size-4 animate-spin" />
      {label}
    </span>
  );
}

export function LoadingBlock({ label }: { label?: string }) {
  return (
    <div className="flex justify-center rounded-lg border border-slate-200 bg-white p-8">
      <Spinner label={label} />
    </div>
  );
}

/** A query that failed: what happened, from the server's own words. */
export function QueryError({ error, what }: { error: unknown; what: string }) {
  const info = errorInfo(error);
  return (
    <Alert tone="error" title={`Could not load ${what}`}>
      {info.message}
    </Alert>
  );
}
