import pg from "pg";

export interface ConnectionTestResult {
  reachable: boolean;
  serverVersion: string | null;
  latencyMs: number | null;
  /** What went wrong, in words a DBA can act on. */
  error: string | null;
}

function explain(err: unknown, target: string): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case "ECONNREFUSED":
      return `${target} refused the connection: is the server running and listening there?`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host of ${target} could not be resolved: check the host name`;
    case "ETIMEDOUT":
      return `${target} did not answer in time: check the host, port and firewall`;
    case "28P01":
    case "28000":
      return `${target} refused the credentials: ${e.message}`;
    case "3D000":
      return `${target}: ${e.message}`;
    default:
      return `${target}: ${e.message ?? String(err)}`;
  }
}

/** Connects once with the endpoint's credentials and asks for the server version. */
export async function testPostgresConnection(target: {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string | null;
  timeoutMs?: number;
}): Promise<ConnectionTestResult> {
  const label = `${target.host}:${target.port}/${target.database}`;
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.username,
    password: target.password ?? undefined,
    connectionTimeoutMillis: target.timeoutMs ?? 5000,
    query_timeout: target.timeoutMs ?? 5000,
    application_name: "dbmesh-connection-test",
  });
  // A failed connect also emits 'error'; without a listener it would crash the process.
  client.on("error", () => {});
  const started = performance.now();
  try {
    await client.connect();
    const res = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return { reachable: true, serverVersion: res.rows[0]?.v ?? null, latencyMs: Math.round(performance.now() - started), error: null };
  } catch (err) {
    return { reachable: false, serverVersion: null, latencyMs: null, error: explain(err, label) };
  } finally {
    await client.end().catch(() => {});
  }
}
