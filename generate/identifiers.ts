import { compareStrings } from "../common/compare";
/**
 * Identifiers derived from account (and OU) names: Backstage entity names, Steampipe connection names, profile
 * names, provider aliases. Each style turns a display name into a safe slug; `assignIdentifiers` makes a set of
 * them unique, deterministically, and reports every collision it resolved.
 *
 * Collision rule: every item whose slug is shared with another item (or with a reserved name) gets its own ID
 * appended (`payments_prod_111122223333`). All members of a colliding group are suffixed, not just the later
 * ones, so the result does not depend on the order accounts were listed in.
 */

export type SlugStyle = "kebab" | "snake" | "backstage";

export interface SlugRules {
  style: SlugStyle;
  /** Maximum length of the final identifier (prefix included). */
  maxLength: number;
  /** Prepended to every identifier (e.g. "aws_"). */
  prefix?: string;
  /** Used when the name slugs to nothing (e.g. "アカウント"). */
  fallback?: string;
  /** Prepended when the identifier would start with a digit (formats whose names must start with a letter). */
  leadingLetter?: string;
}

const SEP: Record<SlugStyle, string> = { kebab: "-", snake: "_", backstage: "-" };

/**
 * A slug of `name` in the given style:
 * - kebab: lower-case `[a-z0-9-]`, runs of other characters become one "-".
 * - snake: lower-case `[a-z0-9_]`, runs of other characters become one "_".
 * - backstage: what Backstage's aws-org provider does (trim, lower-case, each character outside `[a-zA-Z0-9-]`
 *   becomes "-"), then trimmed so it starts and ends with a letter or digit, as Backstage's entity-name rule
 *   requires. Names match the provider's own for ordinary account names.
 */
export function slugify(name: string, style: SlugStyle): string {
  // Every consumer slugs the same account names (5,000 of them, several styles): each is computed once.
  const cache = SLUGS[style];
  let slug = cache.get(name);
  if (slug === undefined) {
    if (cache.size >= SLUG_CACHE_MAX) cache.clear();
    slug = style === "snake" ? computeSnakeSlug(name) : computeSlug(name, style);
    cache.set(name, slug);
  }
  return slug;
}

const SLUG_CACHE_MAX = 100_000;
const SLUGS: Record<SlugStyle, Map<string, string>> = { kebab: new Map(), snake: new Map(), backstage: new Map() };

/** Separators at either end of a kebab or snake slug. */
const EDGE_SEPARATORS: Record<"kebab" | "snake", RegExp> = { kebab: /^-+|-+$/g, snake: /^_+|_+$/g };
const ASCII = /^[\x00-\x7f]*$/;

function computeSlug(name: string, style: SlugStyle): string {
  const trimmed = name.trim();
  // For ASCII, the locale-aware lower-casing and NFKD change nothing beyond toLowerCase: skipped, as they cost
  // about four times the rest (5,000 account names, several styles).
  const lower = ASCII.test(trimmed)
    ? trimmed.toLowerCase()
    : trimmed
        .toLocaleLowerCase("en-US")
        .normalize("NFKD")
        .replace(/[\u0300-\u036f]/g, "");
  if (style === "backstage") return lower.replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return lower.replace(/[^a-z0-9]+/g, SEP[style]).replace(EDGE_SEPARATORS[style], "");
}

/**
 * The two styles differ only in the separator: a kebab slug has "-" exactly where the snake slug has "_" (both
 * replace each run of characters outside [a-z0-9] with one separator and trim separators at the ends, and neither
 * keeps any other character), so a name both styles slug is lower-cased and scanned once.
 */
function computeSnakeSlug(name: string): string {
  return slugify(name, "kebab").replace(/-/g, "_");
}

/** Cuts a slug to `max` characters without leaving a separator at the end. */
function cut(slug: string, max: number): string {
  return slug.length <= max ? slug : slug.slice(0, max).replace(/[-_.]+$/, "");
}

export interface IdentifierItem {
  /** Stable key of the item (an account or OU ID); also the collision suffix. */
  key: string;
  /** The display name the identifier is derived from. */
  name: string;
}

export interface Collision {
  /** What kind of identifier collided, e.g. "Steampipe connection name". */
  kind: string;
  /** The identifier the names had in common. */
  identifier: string;
  /** The items that shared it, with the identifier each one got instead. */
  items: Array<{ key: string; name: string; resolved: string }>;
  /** Set when the identifier was taken by a reserved name (e.g. the "aws" aggregator, the source profile). */
  reserved?: boolean;
}

export interface AssignedIdentifiers {
  names: Map<string, string>;
  collisions: Collision[];
}

/**
 * Gives every item a unique identifier. `reserved` names are never handed out (and are treated as taken).
 * Deterministic: the same items and rules always give the same names, whatever their order.
 */
export function assignIdentifiers(
  kind: string,
  items: readonly IdentifierItem[],
  rules: SlugRules,
  reserved: Iterable<string> = [],
): AssignedIdentifiers {
  const sep = SEP[rules.style];
  const prefix = rules.prefix ?? "";
  const keySlug = (key: string) => slugify(key, rules.style);
  const base = (item: IdentifierItem) => {
    let slug =
      slugify(item.name, rules.style) || slugify(`${rules.fallback ?? "account"}${sep}${item.key}`, rules.style);
    // Whether prefix + slug starts with a digit, without building that string.
    if (rules.leadingLetter && startsWithDigit(prefix || slug)) slug = rules.leadingLetter + slug;
    return prefix + cut(slug, rules.maxLength - prefix.length);
  };
  const reservedSet = new Set(reserved);
  // Items usually arrive sorted by key (accounts by ID): then they are not copied and sorted again.
  const sorted = isSortedByKey(items) ? items : [...items].sort((a, b) => compareStrings(a.key, b.key));
  const bases = sorted.map(base);
  // How many items share each base identifier: a base only one item has (and not reserved) is that item's name.
  const holders = new Map<string, number>();
  for (const b of bases) holders.set(b, (holders.get(b) ?? 0) + 1);
  const names = new Map<string, string>();
  /** The items of each shared (or reserved) base, in the order the bases first appear. */
  const groups = new Map<string, IdentifierItem[]>();
  for (let n = 0; n < sorted.length; n++) {
    const b = bases[n];
    if (holders.get(b) === 1 && !reservedSet.has(b)) {
      names.set(sorted[n].key, b);
      continue;
    }
    const group = groups.get(b);
    if (group) group.push(sorted[n]);
    else groups.set(b, [sorted[n]]);
  }
  // Suffixed names are handed out after every unique one, so a suffixed name never steals a plain one. Taken: the
  // reserved names, every plain name (a base with one holder) and the suffixed names handed out so far.
  const suffixedNames = new Set<string>();
  const taken = (name: string) => reservedSet.has(name) || holders.get(name) === 1 || suffixedNames.has(name);
  const collisions: Collision[] = [];
  for (const [b, group] of groups) {
    const c: Collision = { kind, identifier: b, items: [], ...(reservedSet.has(b) ? { reserved: true } : {}) };
    collisions.push(c);
    for (const item of group) {
      const suffix = `${sep}${keySlug(item.key)}`;
      let candidate = cut(b, rules.maxLength - suffix.length) + suffix;
      for (let n = 2; taken(candidate); n++)
        candidate = cut(b, rules.maxLength - suffix.length - `${sep}${n}`.length) + suffix + `${sep}${n}`;
      names.set(item.key, candidate);
      suffixedNames.add(candidate);
      c.items.push({ key: item.key, name: item.name, resolved: candidate });
    }
  }
  collisions.sort((a, b) => compareStrings(a.identifier, b.identifier));
  return { names, collisions };
}

function startsWithDigit(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function isSortedByKey(items: readonly IdentifierItem[]): boolean {
  for (let n = 1; n < items.length; n++) if (compareStrings(items[n - 1].key, items[n].key) > 0) return false;
  return true;
}

/** One line describing a collision, for warnings. */
export function describeCollision(integration: string, c: Collision): string {
  const who = c.items.map((i) => `${i.key} "${i.name}" -> ${i.resolved}`).join(", ");
  const why = c.reserved
    ? `is reserved (${c.items.length === 1 ? "an account's name slugs to it" : "several names slug to it"})`
    : `is derived from ${c.items.length} names`;
  return `integration ${integration}: ${c.kind} "${c.identifier}" ${why}; suffixed with the ID: ${who}`;
}
