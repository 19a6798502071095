import { z } from "zod";
import type { MeshDefinition } from "./schemas";

/** The resource kinds of a mesh, in dependency order: the order YAML exports them and diffs list them. */
export const MeshKind = z.enum(["Environment", "DatabaseEndpoint", "TrafficStrategy", "VirtualDatabase", "AccessRule"]);
export type MeshKind = z.infer<typeof MeshKind>;

export const meshKinds: readonly MeshKind[] = MeshKind.options;

/** Which `MeshDefinition` list holds each kind. */
export const meshCollection = {
  Environment: "environments",
  DatabaseEndpoint: "endpoints",
  TrafficStrategy: "trafficStrategies",
  VirtualDatabase: "virtualDatabases",
  AccessRule: "accessRules",
} as const satisfies Record<MeshKind, keyof MeshDefinition>;

/** How messages name each kind: `virtual database "orders": …`. */
export const meshKindLabel: Record<MeshKind, string> = {
  Environment: "environment",
  DatabaseEndpoint: "endpoint",
  TrafficStrategy: "traffic strategy",
  VirtualDatabase: "virtual database",
  AccessRule: "access rule",
};
