import type { Metadata } from "next";
import { NewUser } from "../user-form";

export const metadata: Metadata = { title: "New user" };

export default function NewUserPage() {
  return <NewUser />;
}
