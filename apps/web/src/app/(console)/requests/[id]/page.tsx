import type { Metadata } from "next";
import { RequestDetail } from "../request-detail";

export const metadata: Metadata = { title: "Database request" };

export default async function RequestPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RequestDetail id={id} />;
}
