// Where applications reach the mesh: an agent's listen address, as agents report it in heartbeats.

/** The port agents listen on unless they say otherwise (apps/agent). */
export const AGENT_PORT = 6432;

const WILDCARD = new Set(["", "0.0.0.0", "::", "[::]", "*"]);

/**
 * `host:port` for a connection string, from an agent's reported listen address: `10.0.0.5:6432`,
 * `[::1]:6432`, or a bare host (then port 6432). A wildcard listen address (`0.0.0.0`) names no
 * host a client can dial, so it becomes 127.0.0.1.
 */
export function dialAddress(address: string | null | undefined): string {
  const a = (address ?? "").trim();
  let host = a;
  let port = String(AGENT_PORT);
  const v6 = /^(\[[^\]]*\])(?::(\d+))?$/.exec(a);
  const v4 = /^([^:]*):(\d+)$/.exec(a);
  if (v6) {
    host = v6[1]!;
    if (v6[2]) port = v6[2];
  } else if (v4) {
    host = v4[1]!;
    port = v4[2]!;
  } else if (a.includes(":")) {
    host = `[${a}]`; // a bare IPv6 address
  }
  if (WILDCARD.has(host)) host = "127.0.0.1";
  return `${host}:${port}`;
}

type AgentLike = { status: string; address: string | null };

/** The first agent that is up and says where it listens; 127.0.0.1:6432 when none does. */
export function agentDialAddress(agents: readonly AgentLike[] | undefined): { address: string; fromAgent: boolean } {
  const up = agents?.find((a) => a.status === "up" && a.address);
  return up ? { address: dialAddress(up.address), fromAgent: true } : { address: `127.0.0.1:${AGENT_PORT}`, fromAgent: false };
}

/** `postgresql://user[:password]@host:port/database`, with the parts URL-encoded. */
export function connectionString({ user, password, address, database }: { user: string; password?: string; address: string; database: string }) {
  const auth = password === undefined ? encodeURIComponent(user) : `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return `postgresql://${auth}@${address}/${encodeURIComponent(database)}`;
}
