import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

/**
 * A tiny npm registry on 127.0.0.1 for the package tests, so `npm install <packed orgtrust.tgz>` and
 * `npm install -g` run as a user runs them but never reach the network.
 *
 * Why: `npm ci` fills the npm cache with tarballs only (it installs from the lockfile's resolved URLs and
 * integrities), not with the registry documents ("packuments") npm needs to resolve `orgtrust`'s dependency ranges
 * and its peers, so `npm install --offline <tgz>` fails with "cdktf@undefined". The lockfile holds every fact a
 * packument carries for the versions orgtrust uses (dependencies, peers, optional dependencies, bin, engines, os/cpu,
 * the integrity), so this server builds one packument per package from package-lock.json's production entries and
 * serves each tarball from the npm cache that `npm ci` filled (cacache's content-v2/<algo>/<hex> layout, looked up by
 * the lockfile's integrity). A package that is not in the lockfile gets 404, so an unexpected dependency fails the
 * test instead of being fetched.
 */

interface LockEntry {
  version: string;
  integrity?: string;
  dev?: boolean;
  inBundle?: boolean;
  link?: boolean;
  name?: string;
  [field: string]: unknown;
}

/** Packument fields copied from a lockfile entry (the ones npm's resolver reads). */
const MANIFEST_FIELDS = [
  "dependencies",
  "optionalDependencies",
  "peerDependencies",
  "peerDependenciesMeta",
  "bin",
  "engines",
  "os",
  "cpu",
  "libc",
  "license",
  "deprecated",
  "hasInstallScript",
  "bundleDependencies",
];

export interface LocalRegistry {
  url: string;
  /** Packuments and tarballs served (name@version), for the test's own checks. */
  served: Set<string>;
  /** Requests answered 404 (name or name@version): anything npm asked for that the lockfile does not hold. */
  missing: string[];
  close(): Promise<void>;
}

/** The lockfile's production packages (no dev-only entries, nothing bundled inside another package's tarball), by name and version. */
export function productionPackages(lockFile: string): Map<string, Map<string, LockEntry>> {
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages: Record<string, LockEntry> };
  const byName = new Map<string, Map<string, LockEntry>>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.inBundle || entry.link || !entry.integrity) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    if (!byName.has(name)) byName.set(name, new Map());
    byName.get(name)!.set(entry.version, entry);
  }
  return byName;
}

/** The path of a cached tarball in an npm cache (cacache content-v2 layout), from an SRI integrity string. */
export function cachedContentPath(cacheDir: string, integrity: string): string {
  const [algo, b64] = integrity.split(/\s+/)[0].split("-", 2);
  const hex = Buffer.from(b64, "base64").toString("hex");
  return path.join(cacheDir, "_cacache", "content-v2", algo, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

const semverKey = (v: string): number[] =>
  v
    .split(/[.+-]/)
    .slice(0, 3)
    .map((n) => Number(n) || 0);
const newest = (versions: string[]): string =>
  [...versions].sort((a, b) => {
    const x = semverKey(a);
    const y = semverKey(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })[versions.length - 1];

/** Starts the registry for `lockFile`'s production packages, reading tarballs from `npmCacheDir` (`npm config get cache`). */
export async function startLocalRegistry(lockFile: string, npmCacheDir: string): Promise<LocalRegistry> {
  const packages = productionPackages(lockFile);
  const served = new Set<string>();
  const missing: string[] = [];
  let base = "";
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? "/").split("?")[0]);
    const tarball = /^\/-\/tarball\/(.+)\/([^/]+)\.tgz$/.exec(url);
    if (tarball) {
      const entry = packages.get(tarball[1])?.get(tarball[2]);
      const file = entry?.integrity ? cachedContentPath(npmCacheDir, entry.integrity) : undefined;
      if (!file || !fs.existsSync(file)) {
        missing.push(`${tarball[1]}@${tarball[2]} (tarball not in the npm cache)`);
        res.writeHead(404).end();
        return;
      }
      served.add(`${tarball[1]}@${tarball[2]}`);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const name = url.slice(1);
    const versions = packages.get(name);
    if (!versions) {
      missing.push(name);
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
      return;
    }
    const doc = {
      name,
      "dist-tags": { latest: newest([...versions.keys()]) },
      versions: Object.fromEntries(
        [...versions].map(([version, e]) => [
          version,
          {
            name,
            version,
            ...Object.fromEntries(MANIFEST_FIELDS.filter((f) => e[f] !== undefined).map((f) => [f, e[f]])),
            dist: { tarball: `${base}/-/tarball/${name}/${version}.tgz`, integrity: e.integrity },
          },
        ]),
      ),
    };
    served.add(name);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    served,
    missing,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
