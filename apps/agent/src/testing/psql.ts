import { execFile } from "node:child_process";

// Runs the real psql against an agent: the client most DBAs will point at it.

export interface PsqlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function psql(
  port: number,
  opts: { user: string; password: string; database: string; args: string[]; input?: string; env?: Record<string, string> },
): Promise<PsqlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      "/usr/bin/psql",
      ["-h", "127.0.0.1", "-p", String(port), "-U", opts.user, "-d", opts.database, "-X", "-v", "ON_ERROR_STOP=1", ...opts.args],
      { env: { ...process.env, PGPASSWORD: opts.password, PGCONNECT_TIMEOUT: "10", ...opts.env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
