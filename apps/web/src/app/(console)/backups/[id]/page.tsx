import type { Metadata } from "next";
import { PlanDetail } from "../plan-detail";

export const metadata: Metadata = { title: "Backup plan" };

export default async function BackupPlanPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <PlanDetail id={id} />;
}
