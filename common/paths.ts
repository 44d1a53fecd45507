import * as fs from "node:fs";
import * as path from "node:path";

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "templates"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, "..");
    dir = parent;
  }
}

/** The orgtrust checkout or installed package (holds templates/ and examples/), from source or from dist/. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);
export const TEMPLATES_DIR = path.join(PACKAGE_ROOT, "templates");
export const EXAMPLES_DIR = path.join(PACKAGE_ROOT, "examples");
