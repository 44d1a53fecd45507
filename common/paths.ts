import * as fs from "node:fs";
import * as path from "node:path";

/** True when dir holds orgtrust's own package.json (a checkout or the installed package) and its templates/. */
function isPackageRoot(dir: string): boolean {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown };
    return pkg.name === "orgtrust" && fs.existsSync(path.join(dir, "templates"));
  } catch {
    return false;
  }
}

/**
 * The folder above `start` that is orgtrust's package root. From source (`common/`) that is the checkout; from the
 * build (`dist/common/`) it is the checkout or the installed package (`node_modules/orgtrust/`, which ships
 * templates/ and examples/ beside dist/), never the user's project around it.
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isPackageRoot(dir)) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`orgtrust: cannot find the package root (package.json and templates/) above ${start}`);
  }
}

/** The orgtrust checkout or installed package (holds templates/ and examples/), from source or from dist/. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);
export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, "templates");
export const EXAMPLES_DIR = path.join(PACKAGE_ROOT, "examples");

/** A path as the user would type it: relative to the working directory when it lies below it, else as given. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}
