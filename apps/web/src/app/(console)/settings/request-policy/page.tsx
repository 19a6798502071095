import type { Metadata } from "next";
import { RequestPolicyList } from "./request-policy-list";

export const metadata: Metadata = { title: "Request policy" };

export default function RequestPolicyPage() {
  return <RequestPolicyList />;
}
