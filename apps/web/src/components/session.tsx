"use client";

import { createContext, useContext } from "react";
import { can as canRole, type Role } from "@/lib/can";
import type { RouterOutputs } from "@/trpc/types";

export type Me = RouterOutputs["auth"]["me"];

export interface Session {
  me: Me;
  role: Role;
  /** Whether this user's role may call a procedure, from the server's permission table. */
  can: (procedure: string) => boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function makeSession(me: Me): Session {
  return { me, role: me.role, can: (p) => canRole(me.role, p) };
}

/** The signed-in user; only inside the console shell (which loads it before rendering a page). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession() outside the console shell");
  return s;
}
