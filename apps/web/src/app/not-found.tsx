import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 p-6 text-center">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="text-sm text-slate-600">This address does not exist in the dbmesh console.</p>
      <Link href="/" className="font-medium text-indigo-700 hover:underline">
        Go to the overview
      </Link>
    </main>
  );
}
