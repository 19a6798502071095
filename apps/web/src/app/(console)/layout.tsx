import { Suspense, type ReactNode } from "react";
import { ConsoleShell } from "@/components/shell";
import { LoadingBlock } from "@/components/loading";

export default function ConsoleLayout({ children }: { children: ReactNode }) {
  return (
    <ConsoleShell>
      {/* Pages read the query string (search, sort, filters); Suspense lets Next prerender their shell. */}
      <Suspense fallback={<LoadingBlock />}>{children}</Suspense>
    </ConsoleShell>
  );
}
