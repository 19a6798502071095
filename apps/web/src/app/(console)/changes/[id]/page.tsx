import type { Metadata } from "next";
import { ChangeDetail } from "../change-detail";

export const metadata: Metadata = { title: "Change request" };

export default async function ChangePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ChangeDetail id={id} />;
}
