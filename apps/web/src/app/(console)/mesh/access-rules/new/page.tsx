import type { Metadata } from "next";
import { AccessRuleEditor } from "../rule-form";

export const metadata: Metadata = { title: "New access rule" };

export default function NewAccessRulePage() {
  return <AccessRuleEditor />;
}
