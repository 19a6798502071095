import type { Metadata } from "next";
import { VirtualDatabaseList } from "./vdb-list";

export const metadata: Metadata = { title: "Virtual databases" };

export default function VirtualDatabasesPage() {
  return <VirtualDatabaseList />;
}
