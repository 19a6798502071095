export * from "./schemas";
export * from "./issue";
export * from "./mesh-kind";
export * from "./references";
export * from "./yaml";
export * from "./diff";
export * from "./access-rule-order";
export * from "./compile";
export { demoMesh } from "./fixtures/demo-mesh";
