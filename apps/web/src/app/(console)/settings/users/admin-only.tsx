import { Alert } from "@/components/alert";
import { PageHeader } from "@/components/page-header";

export function AdminOnly({ role }: { role: string }) {
  return (
    <div>
      <PageHeader title="Users" />
      <Alert tone="info">Only ADMIN users manage accounts. Your role is {role}; ask an administrator for changes.</Alert>
    </div>
  );
}
