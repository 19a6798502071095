import type { Metadata } from "next";
import { PlanEditor } from "../plan-form";

export const metadata: Metadata = { title: "New backup plan" };

export default function NewBackupPlanPage() {
  return <PlanEditor />;
}
