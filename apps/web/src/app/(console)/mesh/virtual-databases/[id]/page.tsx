import type { Metadata } from "next";
import { VirtualDatabaseEditor } from "../vdb-form";

export const metadata: Metadata = { title: "Virtual database" };

export default async function VirtualDatabasePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <VirtualDatabaseEditor id={id} />;
}
