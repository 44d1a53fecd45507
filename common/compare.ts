/**
 * Ordering by UTF-16 code units (what `<` does on strings), never by locale: outputs sort the same on every machine.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders entries, or anything with an `id`, by that key with compareStrings. */
export const byEntryKey = ([a]: [string, unknown], [b]: [string, unknown]): number => compareStrings(a, b);
export const byId = <T extends { id: string }>(a: T, b: T): number => compareStrings(a.id, b.id);
