import type { Metadata } from "next";
import { EnvironmentEditor } from "../environment-form";

export const metadata: Metadata = { title: "Environment" };

export default async function EnvironmentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EnvironmentEditor id={id} />;
}
