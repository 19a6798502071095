// The single permission table: every tRPC procedure's path → the roles that may call it.
// A procedure missing here is refused to everyone (and the role-matrix test fails), so a new
// procedure cannot ship without a decision about who may call it.

export const ROLES = ["ADMIN", "DBA", "DEVELOPER", "AUDITOR"] as const;
export type Role = (typeof ROLES)[number];

/** "public": no login needed; "any": any logged-in user; else the listed roles. */
export type Allow = "public" | "any" | readonly Role[];

const READ_ALL: readonly Role[] = ROLES;
const MESH_WRITE: readonly Role[] = ["ADMIN", "DBA"];
const ADMIN_ONLY: readonly Role[] = ["ADMIN"];
const AUDIT_READ: readonly Role[] = ["ADMIN", "DBA", "AUDITOR"];
const CHANGE_WRITE: readonly Role[] = ["ADMIN", "DBA", "DEVELOPER"];

function crud(prefix: string): Record<string, Allow> {
  return {
    [`${prefix}.list`]: READ_ALL,
    [`${prefix}.get`]: READ_ALL,
    [`${prefix}.create`]: MESH_WRITE,
    [`${prefix}.update`]: MESH_WRITE,
    [`${prefix}.delete`]: MESH_WRITE,
  };
}

export const permissions: Record<string, Allow> = {
  "auth.login": "public",
  "auth.logout": "any",
  "auth.me": "any",
  "auth.changePassword": "any",
  "auth.totpBegin": "any",
  "auth.totpConfirm": "any",
  "auth.totpDisable": "any",

  ...crud("environment"),
  ...crud("endpoint"),
  "endpoint.test": ["ADMIN", "DBA", "DEVELOPER"],
  "endpoint.testDraft": MESH_WRITE,
  ...crud("trafficStrategy"),
  ...crud("virtualDatabase"),
  ...crud("accessRule"),
  "accessRule.tryStatement": READ_ALL,

  // Application credentials: the agent checks clients against their SCRAM verifiers.
  "credential.list": READ_ALL,
  "credential.create": MESH_WRITE,
  "credential.update": MESH_WRITE,
  "credential.rotate": MESH_WRITE,
  "credential.delete": MESH_WRITE,

  // Proxy agents: registering one hands out a token that can read backend passwords.
  "agent.list": READ_ALL,
  "agent.get": READ_ALL,
  "agent.create": MESH_WRITE,
  "agent.revoke": MESH_WRITE,

  "mesh.overview": READ_ALL,
  "mesh.exportYaml": READ_ALL,
  "mesh.previewImport": MESH_WRITE,
  "mesh.applyImport": MESH_WRITE,

  "audit.list": AUDIT_READ,
  "audit.facets": AUDIT_READ,
  "audit.verifyChain": ["ADMIN", "AUDITOR"],
  "sqlAudit.list": AUDIT_READ,
  "sqlAudit.fingerprints": AUDIT_READ,
  "sqlAudit.perMinute": AUDIT_READ,

  "user.list": ADMIN_ONLY,
  "user.get": ADMIN_ONLY,
  "user.create": ADMIN_ONLY,
  "user.update": ADMIN_ONLY,
  "user.resetPassword": ADMIN_ONLY,

  // Schema pipeline: developers submit and discuss changes; DBAs (and admins) approve and roll out.
  "changeRequest.list": READ_ALL,
  "changeRequest.get": READ_ALL,
  "changeRequest.previewTargets": READ_ALL,
  "changeRequest.history": READ_ALL,
  "changeRequest.create": CHANGE_WRITE,
  "changeRequest.updateSql": CHANGE_WRITE,
  "changeRequest.rerunChecks": CHANGE_WRITE,
  "changeRequest.comment": CHANGE_WRITE,
  "changeRequest.close": CHANGE_WRITE,
  "changeRequest.approve": MESH_WRITE,
  "changeRequest.requestChanges": MESH_WRITE,
  "changeRequest.deployNext": MESH_WRITE,
  "changeRequest.retryStage": MESH_WRITE,
  "changeRequest.rollbackStage": MESH_WRITE,
  "changeRequest.cancelStage": MESH_WRITE,
  "sqlReview.rules": READ_ALL,
  "sqlReview.policies": READ_ALL,
  "sqlReview.updatePolicy": MESH_WRITE,
  "sqlReview.drift": READ_ALL,
  "sqlReview.checkDriftNow": MESH_WRITE,

  // Everyone manages their own tokens (they act with their own role); ADMIN sees and revokes all.
  "apiToken.list": "any",
  "apiToken.create": "any",
  "apiToken.revoke": "any",

  // Developer self-service (issue 7). Whose request or credential it is, and "nobody reviews their own",
  // are checked in the services; the table says which roles may try.
  "databaseRequest.submit": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.mine": "any",
  "databaseRequest.list": AUDIT_READ,
  "databaseRequest.get": "any",
  "databaseRequest.approve": MESH_WRITE,
  "databaseRequest.requestChanges": MESH_WRITE,
  "databaseRequest.reject": MESH_WRITE,
  "databaseRequest.resubmit": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.comment": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.retry": MESH_WRITE,
  "databaseRequest.dropNow": MESH_WRITE,
  "databaseRequest.revealPassword": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.placements": READ_ALL,
  "databaseRequest.options": READ_ALL,
  "databaseRequest.policies": READ_ALL,
  "databaseRequest.setPolicy": MESH_WRITE,
  "databaseRequest.myCredentials": "any",
  "databaseRequest.renewCredential": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.rotateCredential": ["ADMIN", "DBA", "DEVELOPER"],
  "databaseRequest.revokeCredential": ["ADMIN", "DBA", "DEVELOPER"],
  // Backups: everyone sees plans and runs; DBAs and admins change plans, run, verify, delete, restore.
  "backupPlan.list": READ_ALL,
  "backupPlan.get": READ_ALL,
  "backupPlan.attention": READ_ALL,
  "backupPlan.create": MESH_WRITE,
  "backupPlan.update": MESH_WRITE,
  "backupPlan.delete": MESH_WRITE,
  "backupPlan.runNow": MESH_WRITE,
  "backupRun.list": READ_ALL,
  "backupRun.get": READ_ALL,
  "backupRun.sizes": READ_ALL,
  "backupRun.verify": MESH_WRITE,
  "backupRun.delete": MESH_WRITE,
  "restore.list": READ_ALL,
  "restore.get": READ_ALL,
  "restore.create": MESH_WRITE,
};

/** Procedures that stay reachable while a user still has to enroll in two-factor. */
export const MFA_EXEMPT = new Set(["auth.logout", "auth.me", "auth.totpBegin", "auth.totpConfirm", "auth.changePassword"]);

export function isAllowed(allow: Allow | undefined, role: Role | null): boolean {
  if (allow === undefined) return false;
  if (allow === "public") return true;
  if (role === null) return false;
  if (allow === "any") return true;
  return allow.includes(role);
}
