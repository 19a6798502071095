import type { Metadata } from "next";
import { EndpointEditor } from "../endpoint-form";

export const metadata: Metadata = { title: "New endpoint" };

export default function NewEndpointPage() {
  return <EndpointEditor />;
}
