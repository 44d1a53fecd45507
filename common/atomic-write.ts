import * as fs from "node:fs";
import * as path from "node:path";
import { InputError } from "./errors";

export interface PlannedFile {
  /** Destination path. */
  path: string;
  /** Full content to write. */
  content: string;
  /** File mode for new files (default 0o644). */
  mode?: number;
}

function tempPathFor(dest: string): string {
  return path.join(path.dirname(dest), `.orgtrust-tmp-${process.pid}-${Math.random().toString(36).slice(2)}-${path.basename(dest)}`);
}

/**
 * Checks that every destination can be written (its directory exists or can be created, and is writable)
 * before anything is written, so bad output paths fail with exit 2 and leave the disk untouched.
 */
export function assertWritable(paths: string[]): void {
  for (const dest of paths) {
    let dir = path.dirname(path.resolve(dest));
    // Walk up to the first existing ancestor: that is the one that must be writable.
    while (!fs.existsSync(dir)) {
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    try {
      const st = fs.statSync(dir);
      if (!st.isDirectory()) throw new Error("not a directory");
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      throw new InputError(`output path ${dest}: directory ${dir} is not writable (fix: choose another --out or fix its permissions)`);
    }
    if (fs.existsSync(dest) && fs.statSync(dest).isDirectory()) {
      throw new InputError(`output path ${dest}: is a directory (fix: give a file path)`);
    }
  }
}

/**
 * Writes a set of files all or nothing: every file goes to a temp file beside its destination first; only when
 * all temp files are complete are they renamed into place (rename is atomic within a file system). If any write
 * fails, the temp files are removed and no destination is touched.
 */
export function writeFilesAtomic(files: PlannedFile[]): void {
  assertWritable(files.map((f) => f.path));
  const staged: Array<{ tmp: string; dest: string }> = [];
  try {
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.resolve(f.path)), { recursive: true });
      const tmp = tempPathFor(f.path);
      const fd = fs.openSync(tmp, "wx", f.mode ?? 0o644);
      try {
        fs.writeFileSync(fd, f.content);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      staged.push({ tmp, dest: f.path });
    }
  } catch (e) {
    for (const s of staged) fs.rmSync(s.tmp, { force: true });
    throw new InputError(`could not write ${files[staged.length]?.path ?? "output"}: ${(e as Error).message}`);
  }
  for (const s of staged) fs.renameSync(s.tmp, s.dest);
}

/** Writes one file atomically (temp file + rename). */
export function writeFileAtomic(dest: string, content: string, mode?: number): void {
  writeFilesAtomic([{ path: dest, content, mode }]);
}
