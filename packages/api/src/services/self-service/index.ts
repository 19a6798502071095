// What the worker imports: the provisioning jobs' work and the backup seam.
export { runDatabaseRequest, dropDecommissioned, cleanUpFailed, type ProvisionDeps } from "./provision";
export { registerFinalBackupHook, type FinalBackupHook, type FinalBackupTarget } from "./backup-hook";
export { closeProvisionQueues } from "./enqueue";
export { purgeUnrevealedPasswords, PASSWORD_REVEAL_WINDOW_HOURS } from "./credential-lease";
