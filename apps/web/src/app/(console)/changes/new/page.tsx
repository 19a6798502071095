import type { Metadata } from "next";
import { ChangeForm } from "../change-form";

export const metadata: Metadata = { title: "New change request" };

export default function NewChangePage() {
  return <ChangeForm />;
}
