import type { Metadata } from "next";
import { EnvironmentList } from "./environment-list";

export const metadata: Metadata = { title: "Environments" };

export default function EnvironmentsPage() {
  return <EnvironmentList />;
}
