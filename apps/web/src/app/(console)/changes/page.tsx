import type { Metadata } from "next";
import { ChangeList } from "./change-list";

export const metadata: Metadata = { title: "Change requests" };

export default function ChangesPage() {
  return <ChangeList />;
}
