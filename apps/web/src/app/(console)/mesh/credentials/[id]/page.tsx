import type { Metadata } from "next";
import { CredentialEditor } from "../credential-form";

export const metadata: Metadata = { title: "Credential" };

export default async function CredentialPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <CredentialEditor id={id} />;
}
