/**
 * Empties `a` in place. `a.length = 0` goes through V8's runtime (the length accessor): ~70-110 ns a call
 * here, against ~5 ns for popping the one or two elements the hot path's arrays usually hold.
 */
export function emptyArray(a: unknown[]): void {
  while (a.length > 0) a.pop();
}
