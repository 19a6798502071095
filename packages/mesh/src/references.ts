import type { Issue } from "./issue";
import { meshCollection, meshKindLabel, meshKinds } from "./mesh-kind";
import type { DatabaseEndpoint, MeshDefinition } from "./schemas";

/**
 * What zod cannot see in one resource: names that must point at other resources, and names that must be
 * unique. Every problem is an error — a mesh with any of them is not saved, exported or compiled.
 */
export function checkReferences(mesh: MeshDefinition): Issue[] {
  const issues: Issue[] = [];

  // Names are how resources refer to each other (and how YAML and the console show them), so two with
  // the same name would make every reference ambiguous.
  for (const kind of meshKinds) {
    const collection = meshCollection[kind];
    const resources: readonly { name: string }[] = mesh[collection];
    const seen = new Set<string>();
    resources.forEach((resource, i) => {
      if (seen.has(resource.name)) {
        issues.push({
          path: `${collection}.${i}.name`,
          message: `${meshKindLabel[kind]} "${resource.name}" is defined more than once`,
        });
      }
      seen.add(resource.name);
    });
  }

  const environments = new Set(mesh.environments.map((e) => e.name));
  const strategies = new Set(mesh.trafficStrategies.map((s) => s.name));
  const virtualDatabases = new Set(mesh.virtualDatabases.map((v) => v.name));
  const endpoints = new Map<string, DatabaseEndpoint>();
  for (const endpoint of mesh.endpoints) if (!endpoints.has(endpoint.name)) endpoints.set(endpoint.name, endpoint);

  mesh.endpoints.forEach((endpoint, i) => {
    if (!environments.has(endpoint.environment)) {
      issues.push({
        path: `endpoints.${i}.environment`,
        message: `endpoint "${endpoint.name}": environment "${endpoint.environment}" does not exist`,
      });
    }
  });

  mesh.virtualDatabases.forEach((vdb, i) => {
    const where = `virtual database "${vdb.name}"`;
    if (!environments.has(vdb.environment)) {
      issues.push({
        path: `virtualDatabases.${i}.environment`,
        message: `${where}: environment "${vdb.environment}" does not exist`,
      });
    }
    if (vdb.trafficStrategy !== null && !strategies.has(vdb.trafficStrategy)) {
      issues.push({
        path: `virtualDatabases.${i}.trafficStrategy`,
        message: `${where}: traffic strategy "${vdb.trafficStrategy}" does not exist`,
      });
    }
    vdb.backends.forEach((backend, j) => {
      const endpoint = endpoints.get(backend);
      if (!endpoint) {
        issues.push({
          path: `virtualDatabases.${i}.backends.${j}`,
          message: `${where}: backend endpoint "${backend}" does not exist`,
        });
      } else if (endpoint.environment !== vdb.environment) {
        // A dev virtual database must never reach a prod server because someone picked the wrong row.
        issues.push({
          path: `virtualDatabases.${i}.backends.${j}`,
          message: `${where}: backend endpoint "${backend}" is in environment "${endpoint.environment}", not "${vdb.environment}"`,
        });
      }
    });
  });

  mesh.accessRules.forEach((rule, i) => {
    if (!virtualDatabases.has(rule.virtualDatabase)) {
      issues.push({
        path: `accessRules.${i}.virtualDatabase`,
        message: `access rule "${rule.name}": virtual database "${rule.virtualDatabase}" does not exist`,
      });
    }
  });

  return issues;
}
