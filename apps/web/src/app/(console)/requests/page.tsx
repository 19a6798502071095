import type { Metadata } from "next";
import { RequestList } from "./request-list";

export const metadata: Metadata = { title: "Database requests" };

export default function RequestsPage() {
  return <RequestList />;
}
