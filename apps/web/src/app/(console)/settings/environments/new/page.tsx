import type { Metadata } from "next";
import { EnvironmentEditor } from "../environment-form";

export const metadata: Metadata = { title: "New environment" };

export default function NewEnvironmentPage() {
  return <EnvironmentEditor />;
}
