import type { Metadata } from "next";
import { RequestForm } from "../request-form";

export const metadata: Metadata = { title: "Request a database" };

export default function NewRequestPage() {
  return <RequestForm />;
}
