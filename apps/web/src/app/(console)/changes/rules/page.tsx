import type { Metadata } from "next";
import { RulesView } from "./rules-view";

export const metadata: Metadata = { title: "Lint rules" };

export default function RulesPage() {
  return <RulesView />;
}
