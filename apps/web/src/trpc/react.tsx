"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import superjson from "superjson";
import { isUnauthorized, shouldRetry } from "./errors";
import type { AppRouter } from "./types";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Sent on every call: the server refuses cookie-authenticated mutations without it (CSRF). */
const CSRF_HEADERS = { "x-dbmesh-csrf": "1" } as const;

let redirecting = false;

/** A session that ended (timeout, sign-out elsewhere, disabled account) sends the user to sign in again. */
function onAuthError(err: unknown) {
  if (typeof window === "undefined" || !isUnauthorized(err) || redirecting) return;
  const { pathname, search } = window.location;
  // The login form itself answers wrong passwords with UNAUTHORIZED: that is its own business.
  if (pathname === "/login") return;
  redirecting = true;
  window.location.assign(`/login?next=${encodeURIComponent(pathname + search)}`);
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: onAuthError }),
    mutationCache: new MutationCache({ onError: onAuthError }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 15_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

export function TRPCReactProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc", transformer: superjson, headers: () => CSRF_HEADERS })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
