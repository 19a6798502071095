import type { Metadata } from "next";
import { StrategyEditor } from "../strategy-form";

export const metadata: Metadata = { title: "Traffic strategy" };

export default async function StrategyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <StrategyEditor id={id} />;
}
