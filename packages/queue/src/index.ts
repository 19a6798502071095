export * from "./connection";
export * from "./jobs";
export * from "./queues";
export * from "./backup-schedules";
