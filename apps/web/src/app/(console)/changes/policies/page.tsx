import type { Metadata } from "next";
import { PoliciesView } from "./policies-view";

export const metadata: Metadata = { title: "SQL review policy" };

export default function PoliciesPage() {
  return <PoliciesView />;
}
