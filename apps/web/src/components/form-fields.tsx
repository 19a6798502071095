"use client";

import { AlertCircle, Plus, Trash2 } from "lucide-react";
import { useId, type InputHTMLAttributes, type ReactNode } from "react";
import { get, useController, useFieldArray, useFormContext, type FieldValues, type UseFormSetError } from "react-hook-form";
import { errorInfo } from "@/trpc/errors";
import { btn, inputClass } from "./ui";

/** The first message in an error node: arrays of rows and nested objects carry theirs deeper down. */
export function firstMessage(node: unknown, depth = 0): string | undefined {
  if (!node || typeof node !== "object" || depth > 6) return undefined;
  const msg = (node as { message?: unknown }).message;
  if (typeof msg === "string" && msg) return msg;
  for (const [k, v] of Object.entries(node)) {
    if (k === "ref" || k === "type" || k === "types") continue;
    const found = firstMessage(v, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function useFieldError(name: string): string | undefined {
  const {
    formState: { errors },
  } = useFormContext();
  return firstMessage(get(errors, name));
}

/** An error on a list itself (not on one of its rows): RHF keeps it at `.message` or `.root.message`. */
export function listMessage(node: unknown): string | undefined {
  const n = node as { message?: unknown; root?: { message?: unknown } } | undefined;
  if (typeof n?.message === "string") return n.message;
  if (typeof n?.root?.message === "string") return n.root.message;
  return undefined;
}

const describedBy = (id: string, hint?: ReactNode, error?: string) =>
  [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="mt-1 flex items-start gap-1 text-sm text-red-700">
      <AlertCircle aria-hidden="true" className="mt-0.5 size-3.5 shrink-0" />
      <span>{message}</span>
    </p>
  );
}

function Hint({ id, hint }: { id: string; hint?: ReactNode }) {
  if (!hint) return null;
  return (
    <p id={id} className="mt-1 text-xs text-slate-500">
      {hint}
    </p>
  );
}

type TextFieldProps = {
  name: string;
  label: string;
  hint?: ReactNode;
  className?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "name" | "id" | "className">;

export function TextField({ name, label, hint, className = "", type = "text", ...rest }: TextFieldProps) {
  const id = useId();
  const { register } = useFormContext();
  const error = useFieldError(name);
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        type={type}
        className={inputClass}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...rest}
        {...register(name)}
      />
      <Hint id={`${id}-hint`} hint={hint} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

export function TextareaField({
  name,
  label,
  hint,
  rows = 3,
  mono = false,
  className = "",
  placeholder,
}: {
  name: string;
  label: string;
  hint?: ReactNode;
  rows?: number;
  mono?: boolean;
  className?: string;
  placeholder?: string;
}) {
  const id = useId();
  const { register } = useFormContext();
  const error = useFieldError(name);
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <textarea
        id={id}
        rows={rows}
        placeholder={placeholder}
        className={`${inputClass} ${mono ? "font-mono" : ""}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...register(name)}
      />
      <Hint id={`${id}-hint`} hint={hint} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

export type Option = { value: string; label: string };

export function SelectField({
  name,
  label,
  options,
  hint,
  placeholder,
  className = "",
}: {
  name: string;
  label: string;
  options: Option[];
  hint?: ReactNode;
  /** An empty first choice ("choose…" or "none"). */
  placeholder?: string;
  className?: string;
}) {
  const id = useId();
  const { register } = useFormContext();
  const error = useFieldError(name);
  return (
    <div className={className}>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <select
        id={id}
        className={inputClass}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)}
        {...register(name)}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <Hint id={`${id}-hint`} hint={hint} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

export function CheckboxField({ name, label, hint, className = "" }: { name: string; label: string; hint?: ReactNode; className?: string }) {
  const id = useId();
  const { register } = useFormContext();
  const error = useFieldError(name);
  return (
    <div className={className}>
      <div className="flex items-start gap-2">
        <input
          id={id}
          type="checkbox"
          className="mt-0.5 size-4 rounded border-slate-300 accent-indigo-600"
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(id, hint, error)}
          {...register(name)}
        />
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
      </div>
      <Hint id={`${id}-hint`} hint={hint} />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
}

/** Several checkboxes that together hold an array of the chosen values. */
export function CheckboxGroup({
  name,
  legend,
  options,
  hint,
  columns = "sm:grid-cols-3",
  emptyText = "nothing to choose from",
}: {
  name: string;
  legend: string;
  options: Option[];
  hint?: ReactNode;
  columns?: string;
  emptyText?: string;
}) {
  const id = useId();
  const { control } = useFormContext();
  const { field } = useController({ name, control });
  const error = useFieldError(name);
  const value: string[] = Array.isArray(field.value) ? (field.value as string[]) : [];
  const toggle = (v: string, on: boolean) => field.onChange(on ? [...value, v] : value.filter((x) => x !== v));
  return (
    <fieldset aria-describedby={describedBy(id, hint, error)} aria-invalid={error ? true : undefined}>
      <legend className="mb-1 text-sm font-medium text-slate-800">{legend}</legend>
      {options.length === 0 ? (
        <p className="text-sm text-slate-500">{emptyText}</p>
      ) : (
        <div className={`grid grid-cols-1 gap-x-4 gap-y-1.5 ${columns}`}>
          {options.map((o) => {
            const optId = `${id}-${o.value}`;
            return (
              <div key={o.value} className="flex items-center gap-2">
                <input
                  id={optId}
                  type="checkbox"
                  className="size-4 rounded border-slate-300 accent-indigo-600"
                  checked={value.includes(o.value)}
                  onChange={(e) => toggle(o.value, e.target.checked)}
                  onBlur={field.onBlur}
                  aria-invalid={error ? true : undefined}
                />
                <label htmlFor={optId} className="text-sm text-slate-800">
                  {o.label}
                </label>
              </div>
            );
          })}
        </div>
      )}
      <Hint id={`${id}-hint`} hint={hint} />
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}

/** Rows of key = value (labels, label selectors). The form value is `{ key, value }[]`. */
export function KeyValueEditor({
  name,
  legend,
  hint,
  addLabel = "Add label",
}: {
  name: string;
  legend: string;
  hint?: ReactNode;
  addLabel?: string;
}) {
  const id = useId();
  const { control, register } = useFormContext();
  const { fields, append, remove } = useFieldArray({ control, name });
  const {
    formState: { errors },
  } = useFormContext();
  const error = listMessage(get(errors, name));
  return (
    <fieldset aria-describedby={describedBy(id, hint, error)}>
      <legend className="mb-1 text-sm font-medium text-slate-800">{legend}</legend>
      <div className="space-y-2">
        {fields.length === 0 && <p className="text-sm text-slate-500">No entries.</p>}
        {fields.map((f, i) => {
          const keyId = `${id}-k${i}`;
          const valId = `${id}-v${i}`;
          const keyErr = firstMessage(get(errors, `${name}.${i}.key`));
          const valErr = firstMessage(get(errors, `${name}.${i}.value`));
          return (
            <div key={f.id} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2">
              <div>
                <label htmlFor={keyId} className="mb-0.5 block text-xs text-slate-600">
                  Key {i + 1}
                </label>
                <input
                  id={keyId}
                  className={`${inputClass} font-mono`}
                  aria-invalid={keyErr ? true : undefined}
                  aria-describedby={keyErr ? `${keyId}-error` : undefined}
                  {...register(`${name}.${i}.key`)}
                />
                <FieldError id={`${keyId}-error`} message={keyErr} />
              </div>
              <div>
                <label htmlFor={valId} className="mb-0.5 block text-xs text-slate-600">
                  Value {i + 1}
                </label>
                <input
                  id={valId}
                  className={`${inputClass} font-mono`}
                  aria-invalid={valErr ? true : undefined}
                  aria-describedby={valErr ? `${valId}-error` : undefined}
                  {...register(`${name}.${i}.value`)}
                />
                <FieldError id={`${valId}-error`} message={valErr} />
              </div>
              <button type="button" className={`${btn.ghost} mt-5`} onClick={() => remove(i)} aria-label={`Remove entry ${i + 1}`}>
                <Trash2 aria-hidden="true" className="size-4" />
              </button>
            </div>
          );
        })}
      </div>
      <button type="button" className={`${btn.small} mt-2`} onClick={() => append({ key: "", value: "" })}>
        <Plus aria-hidden="true" className="size-3.5" />
        {addLabel}
      </button>
      <Hint id={`${id}-hint`} hint={hint} />
      {/* Row errors show on their rows; this is for the list as a whole (e.g. duplicate keys). */}
      <FieldError id={`${id}-error`} message={error} />
    </fieldset>
  );
}

/**
 * Puts a server error where it belongs: field errors next to their fields (paths under `data.` for
 * update calls are unwrapped), anything else into the returned form-level message. What the user
 * typed stays in the form.
 */
export function applyServerError<T extends FieldValues>(err: unknown, setError: UseFormSetError<T>, fields: readonly string[]): string | null {
  const info = errorInfo(err);
  const leftovers: string[] = [];
  let placed = 0;
  for (const [rawKey, message] of Object.entries(info.fieldErrors)) {
    const key = rawKey.startsWith("data.") ? rawKey.slice(5) : rawKey;
    const top = key.split(".")[0] ?? key;
    if (fields.includes(top)) {
      setError(key as Parameters<UseFormSetError<T>>[0], { type: "server", message });
      placed += 1;
    } else {
      leftovers.push(key === "_" ? message : `${key}: ${message}`);
    }
  }
  if (leftovers.length) return leftovers.join("; ");
  if (placed === 0) return info.message;
  return null;
}
