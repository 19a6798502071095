"use client";

import {
  AccessOperation,
  CircuitBreak,
  ConcurrencyControl,
  ConnectionPool,
  LoadBalanceAlgorithm,
  ReadWriteRule,
  ReadWriteSplitting,
  RegexSource,
  StatementKind,
  TablePattern,
  TrafficStrategy,
} from "@dbmesh/mesh";
import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Plus, Trash2 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useState, type ReactNode } from "react";
import { FormProvider, get, useFieldArray, useForm, useFormContext, useWatch } from "react-hook-form";
import { z } from "zod";
import { DeleteButton } from "@/components/confirm-dialog";
import { applyServerError, CheckboxField, CheckboxGroup, FieldError, listMessage, SelectField, TextareaField, TextField } from "@/components/form-fields";
import { FormFooter, FormSection, ReadOnlyNote } from "@/components/form-layout";
import { LoadingBlock, QueryError } from "@/components/loading";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { useToast } from "@/components/toast";
import { btn } from "@/components/ui";
import { lines } from "@/lib/form-schemas";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { LOAD_BALANCE_LABEL } from "./labels";

type Strategy = RouterOutputs["trafficStrategy"]["get"];

// The mesh schemas' own fields; regex lists are edited one per line.
const Regexes = lines(RegexSource);
const TablePatterns = lines(TablePattern);

const uniqueNames = (items: { name: string }[], ctx: z.RefinementCtx, what: string) => {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) ctx.addIssue({ code: "custom", message: `${what} names must be unique: "${item.name}" appears twice`, path: [i, "name"] });
    seen.add(item.name);
  });
};

const RuleForm = z.object({ ...ReadWriteRule.shape, regex: Regexes }).superRefine((r, ctx) => {
  if (r.type === "regex" && r.regex.length === 0) ctx.addIssue({ code: "custom", message: "a regex rule needs at least one regex", path: ["regex"] });
  if (r.type === "statement" && r.statementKinds.length === 0)
    ctx.addIssue({ code: "custom", message: "a statement rule needs at least one statement kind", path: ["statementKinds"] });
});

const needsMatcher = (r: { regex: string[]; statementKinds: string[] }) => r.regex.length + r.statementKinds.length > 0;

// The same rules as the mesh schema's CircuitBreak, with regexes and table patterns one per line.
const CircuitBreakForm = z
  .object({ ...CircuitBreak.shape, regex: Regexes, tables: TablePatterns })
  .refine((r) => needsMatcher(r) || r.tables.length > 0, { message: "a circuit break needs a regex, a statement kind or a table", path: ["regex"] })
  .refine((r) => r.operations.length === 0 || r.tables.length > 0, {
    message: "operations apply to the tables of a circuit break: give a table pattern",
    path: ["tables"],
  });

const ConcurrencyForm = z
  .object({ ...ConcurrencyControl.shape, regex: Regexes })
  .refine(needsMatcher, { message: "a concurrency control needs a regex or a statement kind", path: ["regex"] });

const StrategyForm = z.object({
  ...TrafficStrategy.shape,
  readWriteSplitting: z.object({ ...ReadWriteSplitting.shape, rules: z.array(RuleForm).superRefine((r, c) => uniqueNames(r, c, "rule")) }),
  connectionPool: ConnectionPool,
  circuitBreaks: z.array(CircuitBreakForm).superRefine((r, c) => uniqueNames(r, c, "circuit break")),
  concurrencyControls: z.array(ConcurrencyForm).superRefine((r, c) => uniqueNames(r, c, "concurrency control")),
});
type FormIn = z.input<typeof StrategyForm>;
type FormOut = z.output<typeof StrategyForm>;

const FIELDS = ["name", "description", "loadBalance", "readWriteSplitting", "connectionPool", "circuitBreaks", "concurrencyControls"];

const OPERATION_OPTIONS = AccessOperation.options.map((o) => ({ value: o, label: o === "all" ? "all operations" : o }));
const KIND_OPTIONS = StatementKind.options.map((k) => ({ value: k, label: k.replace(/_/g, " ") }));
const TARGET_OPTIONS = [
  { value: "primary", label: "primary" },
  { value: "replica", label: "replica" },
];

const joinLines = (a: string[]) => a.join("\n");

function toForm(s: Strategy): FormIn {
  return {
    name: s.name,
    description: s.description,
    loadBalance: s.loadBalance,
    readWriteSplitting: { ...s.readWriteSplitting, rules: s.readWriteSplitting.rules.map((r) => ({ ...r, regex: joinLines(r.regex) })) },
    connectionPool: s.connectionPool,
    circuitBreaks: s.circuitBreaks.map((c) => ({ ...c, regex: joinLines(c.regex), tables: joinLines(c.tables) })),
    concurrencyControls: s.concurrencyControls.map((c) => ({ ...c, regex: joinLines(c.regex) })),
  };
}

const EMPTY: FormIn = {
  name: "",
  description: "",
  loadBalance: "round_robin",
  readWriteSplitting: { enabled: false, defaultTarget: "replica", rules: [] },
  connectionPool: { mode: "transaction", maxSize: 20, minIdle: 0, acquireTimeoutMs: 5000, idleTimeoutMs: 600000, maxLifetimeMs: 3600000 },
  circuitBreaks: [],
  concurrencyControls: [],
};

export function StrategyEditor({ id }: { id?: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.trafficStrategy.get.queryOptions({ id: id ?? "" }, { enabled: !!id }));
  if (id && existing.error) {
    return (
      <>
        <PageHeader title="Traffic strategy" back={{ href: "/mesh/traffic-strategies", label: "Traffic strategies" }} />
        <QueryError error={existing.error} what="the traffic strategy" />
      </>
    );
  }
  if (id && !existing.data) return <LoadingBlock />;
  return <StrategyFormView key={existing.data?.updatedAt.toISOString() ?? "new"} strategy={existing.data} />;
}

function StrategyFormView({ strategy }: { strategy?: Strategy }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { can, role } = useSession();
  const readOnly = strategy ? !can("trafficStrategy.update") : !can("trafficStrategy.create");
  const [formError, setFormError] = useState<string | null>(null);
  const form = useForm<FormIn, unknown, FormOut>({
    resolver: zodResolver(StrategyForm),
    defaultValues: strategy ? toForm(strategy) : EMPTY,
  });
  const create = useMutation(trpc.trafficStrategy.create.mutationOptions());
  const update = useMutation(trpc.trafficStrategy.update.mutationOptions());
  const remove = useMutation(trpc.trafficStrategy.delete.mutationOptions());
  const rwEnabled = useWatch({ control: form.control, name: "readWriteSplitting.enabled" });

  const onSubmit = form.handleSubmit(async (values) => {
    setFormError(null);
    try {
      if (strategy) await update.mutateAsync({ id: strategy.id, data: values });
      else await create.mutateAsync(values);
      await queryClient.invalidateQueries();
      toast(`Traffic strategy "${values.name}" ${strategy ? "saved" : "created"}.`);
      router.push("/mesh/traffic-strategies");
    } catch (err) {
      setFormError(applyServerError(err, form.setError, FIELDS));
    }
  });

  return (
    <div>
      <PageHeader
        title={strategy ? strategy.name : "New traffic strategy"}
        description={
          strategy
            ? strategy.usedBy.length
              ? `Used by ${strategy.usedBy.join(", ")}.`
              : "Not used by any virtual database yet."
            : "Load balancing, read/write splitting, pooling and limits, enforced by the agent."
        }
        back={{ href: "/mesh/traffic-strategies", label: "Traffic strategies" }}
        actions={
          strategy && can("trafficStrategy.delete") ? (
            <DeleteButton
              what={`traffic strategy "${strategy.name}"`}
              consequence="A strategy still used by a virtual database cannot be deleted; choose another strategy there first."
              onDelete={async () => {
                await remove.mutateAsync({ id: strategy.id });
                await queryClient.invalidateQueries();
                toast(`Traffic strategy "${strategy.name}" deleted.`);
                router.push("/mesh/traffic-strategies");
              }}
            />
          ) : undefined
        }
      />
      {readOnly && <ReadOnlyNote role={role} what="traffic strategies" />}
      <FormProvider {...form}>
        <form onSubmit={onSubmit} noValidate className="space-y-5">
          <fieldset disabled={readOnly} className="min-w-0 space-y-5">
            <FormSection title="Strategy">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <TextField name="name" label="Name" autoComplete="off" />
                <TextareaField name="description" label="Description" rows={1} />
              </div>
            </FormSection>

            <FormSection title="Load balancing" description="How statements are spread over the endpoints that may serve them.">
              <SelectField
                name="loadBalance"
                label="Algorithm"
                className="sm:max-w-xs"
                options={LoadBalanceAlgorithm.options.map((a) => ({ value: a, label: LOAD_BALANCE_LABEL[a] ?? a }))}
              />
            </FormSection>

            <FormSection
              title="Read/write splitting"
              description="Reads outside a transaction may go to replicas; everything inside a transaction sticks to the primary."
            >
              <CheckboxField name="readWriteSplitting.enabled" label="Split reads from writes" />
              {rwEnabled && (
                <>
                  <SelectField
                    name="readWriteSplitting.defaultTarget"
                    label="Default target"
                    className="sm:max-w-xs"
                    options={TARGET_OPTIONS}
                    hint="Where a read goes when no rule matches."
                  />
                  <RulesEditor />
                </>
              )}
            </FormSection>

            <FormSection title="Connection pool" description="Backend connections the agent keeps per endpoint.">
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
                <SelectField
                  name="connectionPool.mode"
                  label="Mode"
                  options={[
                    { value: "transaction", label: "transaction" },
                    { value: "session", label: "session" },
                  ]}
                  hint="Transaction pooling shares connections between clients between transactions."
                />
                <TextField name="connectionPool.maxSize" label="Max size" type="number" inputMode="numeric" />
                <TextField name="connectionPool.minIdle" label="Min idle" type="number" inputMode="numeric" />
                <TextField name="connectionPool.acquireTimeoutMs" label="Acquire timeout (ms)" type="number" inputMode="numeric" />
                <TextField name="connectionPool.idleTimeoutMs" label="Idle timeout (ms)" type="number" inputMode="numeric" />
                <TextField name="connectionPool.maxLifetimeMs" label="Max lifetime (ms)" type="number" inputMode="numeric" />
              </div>
            </FormSection>

            <FormSection title="Circuit breaks" description="Statements matching a circuit break are refused before they reach a database.">
              <CircuitBreaksEditor />
            </FormSection>

            <FormSection title="Concurrency controls" description="At most this many matching statements run at once; others wait, then are refused.">
              <ConcurrencyControlsEditor />
            </FormSection>
          </fieldset>
          <FormFooter saving={form.formState.isSubmitting} readOnly={readOnly} cancelHref="/mesh/traffic-strategies" formError={formError} />
        </form>
      </FormProvider>
    </div>
  );
}

function RowCard({ title, onRemove, children }: { title: string; onRemove: () => void; children: ReactNode }) {
  return (
    <div className="rounded-md border border-slate-200 bg-slate-50/60 p-3 sm:p-4">
      <div className="mb-3 flex items-center justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-800">{title}</h3>
        <button type="button" className={btn.small} onClick={onRemove}>
          <Trash2 aria-hidden="true" className="size-3.5" />
          Remove<span className="sr-only"> {title}</span>
        </button>
      </div>
      <div className="space-y-3">{children}</div>
    </div>
  );
}

function ListError({ name }: { name: string }) {
  const {
    formState: { errors },
  } = useFormContext();
  return <FieldError id={`${name}-list-error`} message={listMessage(get(errors, name))} />;
}

function RulesEditor() {
  const { control } = useFormContext<FormIn>();
  const { fields, append, remove } = useFieldArray({ control, name: "readWriteSplitting.rules" });
  return (
    <div className="space-y-3">
      <h3 className="text-sm font-medium text-slate-800">Rules</h3>
      {fields.length === 0 && <p className="text-sm text-slate-500">No rules: reads follow the default target.</p>}
      {fields.map((f, i) => (
        <RuleRow key={f.id} index={i} onRemove={() => remove(i)} />
      ))}
      <ListError name="readWriteSplitting.rules" />
      <button
        type="button"
        className={btn.small}
        onClick={() => append({ name: "", type: "regex", regex: "", statementKinds: [], target: "replica" })}
      >
        <Plus aria-hidden="true" className="size-3.5" />
        Add rule
      </button>
    </div>
  );
}

function RuleRow({ index, onRemove }: { index: number; onRemove: () => void }) {
  const base = `readWriteSplitting.rules.${index}`;
  const type = useWatch({ name: `${base}.type` }) as string;
  return (
    <RowCard title={`Rule ${index + 1}`} onRemove={onRemove}>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField name={`${base}.name`} label="Name" autoComplete="off" />
        <SelectField
          name={`${base}.type`}
          label="Type"
          options={[
            { value: "regex", label: "regex" },
            { value: "statement", label: "statement" },
          ]}
        />
        <SelectField name={`${base}.target`} label="Target" options={TARGET_OPTIONS} />
      </div>
      {type === "statement" ? (
        <CheckboxGroup name={`${base}.statementKinds`} legend="Statement kinds" options={KIND_OPTIONS} columns="sm:grid-cols-3 lg:grid-cols-5" />
      ) : (
        <TextareaField name={`${base}.regex`} label="Regexes" rows={2} mono hint="One per line, matched case-insensitively against the SQL text." />
      )}
    </RowCard>
  );
}

function CircuitBreaksEditor() {
  const { control } = useFormContext<FormIn>();
  const { fields, append, remove } = useFieldArray({ control, name: "circuitBreaks" });
  return (
    <MatchRows
      name="circuitBreaks"
      noun="circuit break"
      withTables
      ids={fields.map((f) => f.id)}
      onRemove={remove}
      onAdd={() => append({ name: "", regex: "", statementKinds: [], tables: "", operations: [] })}
    />
  );
}

function ConcurrencyControlsEditor() {
  const { control } = useFormContext<FormIn>();
  const { fields, append, remove } = useFieldArray({ control, name: "concurrencyControls" });
  return (
    <MatchRows
      name="concurrencyControls"
      noun="concurrency control"
      withLimits
      ids={fields.map((f) => f.id)}
      onRemove={remove}
      onAdd={() => append({ name: "", regex: "", statementKinds: [], maxConcurrency: 10, waitTimeoutMs: 1000 })}
    />
  );
}

/** Rows that match statements by regex and/or statement kind (circuit breaks, concurrency controls). */
function MatchRows({
  name,
  noun,
  withLimits = false,
  withTables = false,
  ids,
  onRemove,
  onAdd,
}: {
  name: string;
  noun: string;
  withLimits?: boolean;
  /** Circuit breaks also match the tables a statement touches. */
  withTables?: boolean;
  ids: string[];
  onRemove: (index: number) => void;
  onAdd: () => void;
}) {
  const title = noun.charAt(0).toUpperCase() + noun.slice(1);
  return (
    <div className="space-y-3">
      {ids.length === 0 && <p className="text-sm text-slate-500">None.</p>}
      {ids.map((id, i) => (
        <RowCard key={id} title={`${title} ${i + 1}`} onRemove={() => onRemove(i)}>
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
            <TextField name={`${name}.${i}.name`} label="Name" autoComplete="off" />
            {withLimits && (
              <>
                <TextField name={`${name}.${i}.maxConcurrency`} label="Max concurrency" type="number" inputMode="numeric" />
                <TextField name={`${name}.${i}.waitTimeoutMs`} label="Wait timeout (ms)" type="number" inputMode="numeric" />
              </>
            )}
          </div>
          <TextareaField
            name={`${name}.${i}.regex`}
            label="Regexes"
            rows={2}
            mono
            hint={
              withTables
                ? "One per line, matched case-insensitively against each statement's normalized text: no comments, single spaces, lower-case keywords, literal values as $1, $2…"
                : "One per line, matched case-insensitively against the SQL text."
            }
          />
          <CheckboxGroup name={`${name}.${i}.statementKinds`} legend="Statement kinds" options={KIND_OPTIONS} columns="sm:grid-cols-3 lg:grid-cols-5" />
          {withTables && (
            <>
              <TextareaField
                name={`${name}.${i}.tables`}
                label="Tables"
                rows={2}
                mono
                hint="One pattern per line, as in access rules: schema.table, table, schema.* or *. Unqualified names resolve through the session's search path."
              />
              <CheckboxGroup
                name={`${name}.${i}.operations`}
                legend="Operations on those tables (none: any)"
                options={OPERATION_OPTIONS}
                columns="sm:grid-cols-3 lg:grid-cols-5"
              />
            </>
          )}
        </RowCard>
      ))}
      <ListError name={name} />
      <button type="button" className={btn.small} onClick={onAdd}>
        <Plus aria-hidden="true" className="size-3.5" />
        Add {noun}
      </button>
    </div>
  );
}
