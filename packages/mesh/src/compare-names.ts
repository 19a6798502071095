/**
 * Code-unit order, not `localeCompare`: the same mesh must export and compile to the same bytes on every
 * machine, whatever its locale.
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortByName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareNames(a.name, b.name));
}
