import type { Metadata } from "next";
import { StrategyEditor } from "../strategy-form";

export const metadata: Metadata = { title: "New traffic strategy" };

export default function NewStrategyPage() {
  return <StrategyEditor />;
}
