import type { Metadata } from "next";
import { VirtualDatabaseEditor } from "../vdb-form";

export const metadata: Metadata = { title: "New virtual database" };

export default function NewVirtualDatabasePage() {
  return <VirtualDatabaseEditor />;
}
