"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import {
  Boxes,
  Database,
  DatabaseBackup,
  DatabaseZap,
  Inbox,
  FileCode2,
  KeyRound,
  KeySquare,
  LayoutDashboard,
  LogOut,
  Menu,
  RadioTower,
  Route,
  ScrollText,
  Server,
  ShieldCheck,
  ShieldAlert,
  UserCircle,
  Users,
  X,
  Layers,
  GitPullRequestArrow,
  History,
  BookOpenCheck,
  SlidersHorizontal,
  type LucideIcon,
} from "lucide-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import { isUnauthorized } from "@/trpc/errors";
import { useTRPC } from "@/trpc/react";
import { Alert } from "./alert";
import { Spinner, QueryError } from "./loading";
import { makeSession, SessionContext, type Session } from "./session";
import { btn } from "./ui";

type NavItem = { href: string; label: string; icon: LucideIcon; show?: (s: Session) => boolean };
type NavGroup = { title: string; items: NavItem[] };

// Grouped by what a person does, as DBAs know it from Bytebase, Grafana and Archery.
const NAV: NavGroup[] = [
  {
    title: "Fleet",
    items: [
      { href: "/", label: "Overview", icon: LayoutDashboard },
      { href: "/fleet/agents", label: "Agents", icon: RadioTower },
    ],
  },
  {
    title: "Mesh",
    items: [
      { href: "/mesh/virtual-databases", label: "Virtual databases", icon: Boxes },
      { href: "/mesh/endpoints", label: "Endpoints", icon: Server },
      { href: "/mesh/traffic-strategies", label: "Traffic strategies", icon: Route },
      { href: "/mesh/access-rules", label: "Access rules", icon: ShieldCheck },
      { href: "/mesh/credentials", label: "Credentials", icon: KeySquare },
      { href: "/mesh/yaml", label: "YAML", icon: FileCode2 },
    ],
  },
  {
    title: "Changes",
    items: [
      { href: "/changes", label: "Change requests", icon: GitPullRequestArrow },
      { href: "/changes/history", label: "Schema history", icon: History },
      { href: "/changes/policies", label: "Review policy", icon: SlidersHorizontal },
      { href: "/changes/rules", label: "Lint rules", icon: BookOpenCheck },
    ],
  },
  {
    title: "Requests",
    items: [
      { href: "/requests", label: "Database requests", icon: Inbox },
      { href: "/requests/new", label: "Request a database", icon: DatabaseBackup, show: (s) => s.can("databaseRequest.submit") },
    ],
  },
  {
    title: "Backups",
    items: [{ href: "/backups", label: "Backups", icon: DatabaseBackup }],
  },
  {
    title: "Audit",
    items: [
      { href: "/audit", label: "Console log", icon: ScrollText, show: (s) => s.can("audit.list") },
      { href: "/audit/sql", label: "SQL log", icon: DatabaseZap, show: (s) => s.can("sqlAudit.list") },
    ],
  },
  {
    title: "Settings",
    items: [
      { href: "/settings/environments", label: "Environments", icon: Layers },
      { href: "/settings/request-policy", label: "Request policy", icon: ShieldCheck },
      { href: "/settings/users", label: "Users", icon: Users, show: (s) => s.role === "ADMIN" },
      { href: "/settings/tokens", label: "API tokens", icon: KeyRound },
      { href: "/settings/account", label: "Account", icon: UserCircle },
    ],
  },
];

const matches = (pathname: string, href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));

/** The entry for this page: the longest match, so /audit/sql lights "SQL log", not "Console log" too. */
function activeHref(pathname: string): string | undefined {
  return NAV.flatMap((g) => g.items.map((i) => i.href))
    .filter((href) => matches(pathname, href))
    .sort((a, b) => b.length - a.length)[0];
}

function Nav({ session, pathname, onNavigate }: { session: Session; pathname: string; onNavigate?: () => void }) {
  const current = activeHref(pathname);
  return (
    <nav aria-label="Main" className="space-y-5 px-3 py-4">
      {NAV.map((g) => {
        const items = g.items.filter((i) => !i.show || i.show(session));
        if (!items.length) return null;
        return (
          <div key={g.title}>
            <h2 className="px-2 text-xs font-semibold tracking-wider text-slate-500 uppercase">{g.title}</h2>
            <ul className="mt-1.5 space-y-0.5">
              {items.map((i) => {
                const active = i.href === current;
                return (
                  <li key={i.href}>
                    <Link
                      href={i.href}
                      onClick={onNavigate}
                      aria-current={active ? "page" : undefined}
                      className={`flex items-center gap-2 rounded-md px-2 py-1.5 text-sm ${
                        active ? "bg-indigo-50 font-semibold text-indigo-800" : "text-slate-700 hover:bg-slate-100 hover:text-slate-900"
                      }`}
                    >
                      <i.icon aria-hidden="true" className={`size-4 ${active ? "text-indigo-600" : "text-slate-400"}`} />
                      {i.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </div>
        );
      })}
    </nav>
  );
}

function Brand() {
  return (
    <Link href="/" className="flex items-center gap-2 rounded-md font-semibold text-slate-900">
      <span className="flex size-7 items-center justify-center rounded-md bg-indigo-600 text-white">
        <Database aria-hidden="true" className="size-4" />
      </span>
      dbmesh
    </Link>
  );
}

export function ConsoleShell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const pathname = usePathname();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 60_000 }));
  const [menuOpen, setMenuOpen] = useState(false);
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      // A full page load drops every cached answer of this session, whatever the server said.
      onSettled: () => window.location.assign("/login"),
    }),
  );
  const session = useMemo(() => (me.data ? makeSession(me.data) : null), [me.data]);

  useEffect(() => setMenuOpen(false), [pathname]);

  if (!session) {
    return (
      <div className="flex min-h-screen items-center justify-center p-6">
        {me.error && !isUnauthorized(me.error) ? (
          <div className="w-full max-w-lg">
            <QueryError error={me.error} what="your session" />
          </div>
        ) : (
          <Spinner label={me.error ? "Your session has ended: taking you to sign in…" : "Loading the console…"} />
        )}
      </div>
    );
  }

  const mfaBlocked = !session.me.mfaSatisfied;
  const onAccount = pathname === "/settings/account";

  return (
    <SessionContext.Provider value={session}>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium shadow focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <div className="min-h-screen lg:grid lg:grid-cols-[15rem_1fr]">
        <aside className="hidden border-r border-slate-200 bg-white lg:block">
          <div className="sticky top-0 max-h-screen overflow-y-auto">
            <div className="flex h-14 items-center border-b border-slate-200 px-5">
              <Brand />
            </div>
            <Nav session={session} pathname={pathname} />
          </div>
        </aside>

        <div className="min-w-0">
          <header className="sticky top-0 z-30 flex h-14 items-center gap-3 border-b border-slate-200 bg-white/95 px-4 backdrop-blur sm:px-6">
            <button
              type="button"
              className={`${btn.ghost} -ml-2 px-2 lg:hidden`}
              aria-expanded={menuOpen}
              aria-controls="mobile-nav"
              onClick={() => setMenuOpen((o) => !o)}
            >
              {menuOpen ? <X aria-hidden="true" className="size-5" /> : <Menu aria-hidden="true" className="size-5" />}
              <span className="sr-only">{menuOpen ? "Close menu" : "Menu"}</span>
            </button>
            <div className="lg:hidden">
              <Brand />
            </div>
            <div className="ml-auto flex min-w-0 items-center gap-3">
              <div className="min-w-0 text-right leading-tight">
                <p className="truncate text-sm font-medium text-slate-900" title={session.me.email}>
                  {session.me.email}
                </p>
                <p className="text-xs text-slate-500">
                  <span className="sr-only">Role: </span>
                  {session.me.role}
                </p>
              </div>
              <button type="button" className={btn.secondary} onClick={() => logout.mutate()} disabled={logout.isPending}>
                <LogOut aria-hidden="true" className="size-4" />
                <span className="hidden sm:inline">Sign out</span>
                <span className="sr-only sm:hidden">Sign out</span>
              </button>
            </div>
          </header>

          {menuOpen && (
            <div id="mobile-nav" className="border-b border-slate-200 bg-white shadow-sm lg:hidden">
              <Nav session={session} pathname={pathname} onNavigate={() => setMenuOpen(false)} />
            </div>
          )}

          {mfaBlocked && !onAccount && (
            <div className="px-4 pt-4 sm:px-6">
              <Alert tone="warning" title="Two-factor authentication is required for your role">
                Your role ({session.me.role}) must use two-factor sign-in.{" "}
                <Link href="/settings/account" className="font-medium underline">
                  Set it up under Account
                </Link>{" "}
                to use the rest of the console.
              </Alert>
            </div>
          )}

          <main id="main" className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6">
            {mfaBlocked && !onAccount ? (
              <div className="flex flex-col items-center rounded-lg border border-dashed border-amber-300 bg-white px-6 py-12 text-center">
                <ShieldAlert aria-hidden="true" className="size-8 text-amber-600" />
                <h1 className="mt-3 text-lg font-semibold">Finish two-factor setup first</h1>
                <p className="mt-1 max-w-md text-sm text-slate-600">
                  This page opens once two-factor authentication is on for your account. It takes a minute with any
                  authenticator app.
                </p>
                <Link href="/settings/account" className={`${btn.primary} mt-4`}>
                  Go to Account
                </Link>
              </div>
            ) : (
              children
            )}
          </main>
        </div>
      </div>
    </SessionContext.Provider>
  );
}
