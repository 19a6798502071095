import type { Metadata } from "next";
import { AccessRuleList } from "./rule-list";

export const metadata: Metadata = { title: "Access rules" };

export default function AccessRulesPage() {
  return <AccessRuleList />;
}
