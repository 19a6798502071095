import { z } from "zod";

/**
 * One problem with a mesh definition, shaped so the API can return it and the console can show it next to
 * the field. `path` is dot-joined (`virtualDatabases.0.backends.1`); YAML issues start with
 * `documents.<0-based index>` and carry the 1-based `line` the editor should highlight.
 */
export const Issue = z.object({
  path: z.string(),
  message: z.string(),
  line: z.number().int().min(1).optional(),
});
export type Issue = z.infer<typeof Issue>;

export type PathSegment = string | number;

/** `["spec", "database", "port"]` → `spec.database.port`; keys that contain dots or slashes are quoted. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    const key = typeof segment === "symbol" ? segment.toString() : String(segment);
    if (typeof segment === "string" && /[./\s"[\]]/.test(segment)) {
      out += `[${JSON.stringify(segment)}]`;
    } else {
      out += out === "" ? key : `.${key}`;
    }
  }
  return out;
}

/** zod issues as our issues, with the path joined by '.' and optionally rebased under `prefix`. */
export function issuesFromZod(error: z.ZodError, prefix: readonly PathSegment[] = []): Issue[] {
  return error.issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    const message = zodIssueMessage(issue);
    return { path, message: path === "" ? message : `${path}: ${message}` };
  });
}

/** zod's own message, except that a bad record key says why ("label keys are …"), not just "Invalid key in record". */
export function zodIssueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    return issue.issues.map((inner) => inner.message).join("; ");
  }
  return issue.message;
}
