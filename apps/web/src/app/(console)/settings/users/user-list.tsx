"use client";

import { useQuery } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import Link from "next/link";
import { useMemo } from "react";
import { DataTable, type Columns } from "@/components/data-table";
import { PageHeader } from "@/components/page-header";
import { useSession } from "@/components/session";
import { StatusBadge, YesNo } from "@/components/status-badge";
import { Time } from "@/components/time";
import { btn, linkClass } from "@/components/ui";
import { useTRPC } from "@/trpc/react";
import type { RouterOutputs } from "@/trpc/types";
import { AdminOnly } from "./admin-only";

type User = RouterOutputs["user"]["list"][number];

export function UserList() {
  const { can, role } = useSession();
  if (!can("user.list")) return <AdminOnly role={role} />;
  return <UserTable />;
}

function UserTable() {
  const trpc = useTRPC();
  const list = useQuery(trpc.user.list.queryOptions());
  const newButton = (
    <Link href="/settings/users/new" className={btn.primary}>
      <Plus aria-hidden="true" className="size-4" />
      New user
    </Link>
  );
  const columns = useMemo<Columns<User>>(
    () => [
      {
        id: "email",
        header: "Email",
        accessorFn: (u) => u.email,
        cell: ({ row }) => (
          <Link href={`/settings/users/${row.original.id}`} className={linkClass}>
            {row.original.email}
          </Link>
        ),
      },
      { id: "name", header: "Name", accessorFn: (u) => u.name },
      { id: "role", header: "Role", accessorFn: (u) => u.role },
      {
        id: "status",
        header: "Status",
        accessorFn: (u) => (u.disabled ? "disabled" : "active"),
        cell: ({ row }) =>
          row.original.disabled ? (
            <StatusBadge tone="danger" label="disabled" />
          ) : (
            <StatusBadge tone="success" label="active" />
          ),
      },
      { id: "totp", header: "2FA", accessorFn: (u) => u.totpEnabled, cell: ({ row }) => <YesNo value={row.original.totpEnabled} yes="on" no="off" /> },
      { id: "lastLoginAt", header: "Last sign-in", accessorFn: (u) => u.lastLoginAt, cell: ({ row }) => <Time value={row.original.lastLoginAt} empty="never" /> },
    ],
    [],
  );
  return (
    <div>
      <PageHeader title="Users" description="People who sign in to the console, and their roles: ADMIN, DBA, DEVELOPER, AUDITOR." actions={newButton} />
      <DataTable
        label="Users"
        noun="users"
        data={list.data}
        isLoading={list.isLoading}
        error={list.error}
        columns={columns}
        defaultSort={{ id: "email" }}
        getRowId={(u) => u.id}
        searchText={(u) => `${u.email} ${u.name} ${u.role} ${u.disabled ? "disabled" : "active"}`}
        empty={{ title: "No users", description: "Create the accounts of your DBAs, developers and auditors.", action: newButton }}
      />
    </div>
  );
}
