import type { Db } from "@dbmesh/db";
import { compile } from "@dbmesh/mesh";
import { credentialsForAgents } from "../services/credentials";
import { loadMeshDefinition } from "../services/mesh/snapshot";

export interface CompiledConfig {
  revision: number;
  /** The serialized AgentConfig, built once per revision and shared by every agent's response. */
  body: string;
}

/**
 * Compiles the mesh at its current revision, reading revision and definitions in one REPEATABLE
 * READ snapshot so they agree. One compile per revision per process, however many agents ask.
 */
export class CompiledConfigCache {
  private current: CompiledConfig | null = null;
  private inflight: Promise<CompiledConfig> | null = null;

  constructor(private readonly db: Db, private readonly secretKey: string) {}

  async get(minRevision: number): Promise<CompiledConfig> {
    if (this.current && this.current.revision >= minRevision) return this.current;
    this.inflight ??= this.build().finally(() => {
      this.inflight = null;
    });
    const built = await this.inflight;
    if (!this.current || built.revision > this.current.revision) this.current = built;
    return this.current;
  }

  private async build(): Promise<CompiledConfig> {
    return this.db.$transaction(
      async (tx) => {
        const state = await tx.meshState.findUniqueOrThrow({ where: { id: 1 } });
        const mesh = await loadMeshDefinition(tx, { secretKey: this.secretKey });
        const credentials = await credentialsForAgents(tx);
        const revision = Number(state.revision);
        return { revision, body: JSON.stringify(compile({ revision, mesh, credentials })) };
      },
      { isolationLevel: "RepeatableRead", timeout: 20_000 },
    );
  }
}
