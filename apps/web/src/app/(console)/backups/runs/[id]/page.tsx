import type { Metadata } from "next";
import { RunDetail } from "../../run-detail";

export const metadata: Metadata = { title: "Backup run" };

export default async function BackupRunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RunDetail id={id} />;
}
