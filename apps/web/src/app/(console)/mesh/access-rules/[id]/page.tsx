import type { Metadata } from "next";
import { AccessRuleEditor } from "../rule-form";

export const metadata: Metadata = { title: "Access rule" };

export default async function AccessRulePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <AccessRuleEditor id={id} />;
}
