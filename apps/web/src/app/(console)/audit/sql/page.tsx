import type { Metadata } from "next";
import { SqlAuditView } from "./sql-audit-view";

export const metadata: Metadata = { title: "SQL audit log" };

export default function SqlAuditPage() {
  return <SqlAuditView />;
}
