import type { Metadata } from "next";
import { StrategyList } from "./strategy-list";

export const metadata: Metadata = { title: "Traffic strategies" };

export default function TrafficStrategiesPage() {
  return <StrategyList />;
}
