import type { Metadata } from "next";
import { YamlView } from "./yaml-view";

export const metadata: Metadata = { title: "Mesh YAML" };

export default function YamlPage() {
  return <YamlView />;
}
