import type { Metadata } from "next";
import { EndpointEditor } from "../endpoint-form";

export const metadata: Metadata = { title: "Endpoint" };

export default async function EndpointPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EndpointEditor id={id} />;
}
