import type { Metadata } from "next";
import { PlanEditor } from "../../plan-form";

export const metadata: Metadata = { title: "Edit backup plan" };

export default async function EditBackupPlanPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <PlanEditor id={id} />;
}
