// Shared class lists, so every button and input looks and focuses the same way.

const btnBase =
  "inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-50";

export const btn = {
  primary: `${btnBase} bg-indigo-600 text-white shadow-sm hover:bg-indigo-700 disabled:hover:bg-indigo-600`,
  secondary: `${btnBase} border border-slate-300 bg-white text-slate-800 shadow-sm hover:bg-slate-50 disabled:hover:bg-white`,
  danger: `${btnBase} bg-red-600 text-white shadow-sm hover:bg-red-700 disabled:hover:bg-red-600`,
  dangerOutline: `${btnBase} border border-red-300 bg-white text-red-700 shadow-sm hover:bg-red-50`,
  ghost: `${btnBase} text-slate-700 hover:bg-slate-100`,
  small: "inline-flex items-center gap-1 rounded px-2 py-1 text-xs font-medium text-slate-700 border border-slate-300 bg-white hover:bg-slate-50 disabled:opacity-50 disabled:cursor-not-allowed",
} as const;

export const inputClass =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus-visible:outline-2 focus-visible:outline-indigo-600 disabled:bg-slate-100 disabled:text-slate-600 aria-[invalid=true]:border-red-500";

export const cardClass = "rounded-lg border border-slate-200 bg-white shadow-sm";

export const linkClass = "font-medium text-indigo-700 hover:text-indigo-900 hover:underline";
