import type { Metadata } from "next";
import { CredentialEditor } from "../credential-form";

export const metadata: Metadata = { title: "New credential" };

export default function NewCredentialPage() {
  return <CredentialEditor />;
}
