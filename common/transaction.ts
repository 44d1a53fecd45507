import * as fs from "node:fs";
import * as path from "node:path";
import { EnvironmentError, InputError } from "./errors";

/**
 * One command's output as one staged swap: every file is written to a temp file first, then all of them are swapped
 * into place, with a journal on disk so that a run killed at any point (SIGKILL, power loss) leaves either the old set
 * or the new set once the next run has looked at the folder, never a mix, and no temp file (which may hold an
 * external ID) behind.
 *
 * The protocol, per transaction (every step below is one file-system mutation, counted for the test hooks):
 *
 *   1. recover   finish or undo any earlier transaction whose process is gone (its journal in a destination folder),
 *                then delete stale `.orgtrust-tmp-*` files of dead processes, and report both on stderr.
 *   2. stage     write the journal (state "staging"), then each new file to `.orgtrust-tmp-<pid>-<rand>-<name>` beside
 *                its destination, created 0600 (it may hold an external ID), fsynced, then chmod to its final mode.
 *                A failure here (ENOSPC, EIO) deletes every temp and leaves the destinations untouched.
 *   3. swap      journal state "swapping"; then for each destination: hard-link the current file to a backup temp,
 *                rename the new temp over it; a file to remove is renamed to a backup temp. A failure here rolls
 *                every destination back from its backup (a file that did not exist before is removed again).
 *   4. commit    journal state "committed" (the point of no return), then delete the backups and the journal.
 *
 * Recovery reads a journal left by a dead process: "staging" or "swapping" is rolled back (old set), "committed" is
 * rolled forward (new set). Journals are `.orgtrust-txn-<pid>-<rand>.json` in the folder of the first destination,
 * written by temp file + rename, so a journal on disk is always complete.
 *
 * Destinations must be regular files or absent: a symlink, FIFO, socket or device at a destination is refused
 * (exit 2) instead of being replaced by the rename (`--out /dev/stdout` would otherwise replace the device node).
 *
 * How synth should adopt it (the deploy-synth lane owns synth/synthesize.ts): stage every stack file with
 * `commitFiles(files, { remove: prunedFiles, log })` instead of renaming whole stack folders, so the pruned
 * integrations' files are removed in the same swap (and restored by the rollback), the manifest goes in the same
 * transaction as the stacks it lists, and ENOSPC or a failed rename becomes EnvironmentError (exit 3) with the old
 * output intact. Terraform's own files (.terraform/, *.tfstate, .terraform.lock.hcl) are never in `remove`.
 *
 * Test hooks (read from the environment, used only by the test suite): ORGTRUST_TEST_KILL_AT_STEP=N makes the
 * process SIGKILL itself just before its Nth write step; ORGTRUST_TEST_FAIL_AT_STEP=N:CODE makes the Nth step fail
 * with that errno code (e.g. 3:ENOSPC).
 */

export interface TxnFile {
  /** Destination path. */
  path: string;
  /** Full content to write. */
  content: string | Buffer;
  /** Final file mode (default 0o644, less the umask). Files holding an external ID use 0o600. */
  mode?: number;
}

export interface TxnOptions {
  /** Files to delete in the same swap (e.g. generated files no longer rendered). */
  remove?: string[];
  /** Where recovery and clean-up are reported (stderr). */
  warn?: (message: string) => void;
}

type State = "staging" | "swapping" | "committed";

interface Entry {
  dest: string;
  /** The new content's temp file (absent for a removal). */
  tmp?: string;
  /** The old file's backup (set when the destination existed). */
  backup?: string;
  existed: boolean;
}

interface Journal {
  orgtrustTransaction: 1;
  pid: number;
  state: State;
  entries: Entry[];
  /** Folders created for the new files, deepest last (removed again on rollback when empty). */
  createdDirs: string[];
}

const TMP_PREFIX = ".orgtrust-tmp-";
const JOURNAL_PREFIX = ".orgtrust-txn-";

let step = 0;

/** Counts one write step and applies the test hooks. */
function writeStep(): void {
  step++;
  const kill = Number(process.env.ORGTRUST_TEST_KILL_AT_STEP ?? 0);
  if (kill && step === kill) process.kill(process.pid, "SIGKILL");
  const fail = process.env.ORGTRUST_TEST_FAIL_AT_STEP;
  if (fail) {
    const [n, code] = fail.split(":");
    if (Number(n) === step) throw Object.assign(new Error(`${code}: injected by ORGTRUST_TEST_FAIL_AT_STEP`), { code });
  }
}

const rand = () => Math.random().toString(36).slice(2, 10);
const tempPathFor = (dest: string, tag = "") =>
  path.join(path.dirname(dest), `${TMP_PREFIX}${process.pid}-${rand()}-${tag}${path.basename(dest)}`);

function kindOf(st: fs.Stats): string | null {
  if (st.isFile()) return null;
  if (st.isSymbolicLink()) return "a symbolic link";
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device file";
  return "not a regular file";
}

/** Creates a folder and its missing parents one level at a time, so a pseudo file system (/proc) fails at once. */
function makeDirs(dir: string, created: string[]): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing) {
    writeStep();
    fs.mkdirSync(m);
    created.push(m);
  }
}

/**
 * Checks that every destination can be written before anything is: its nearest existing folder is a writable
 * directory on a real file system, and the destination is absent or a regular file. Bad paths are exit 2.
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
      throw new InputError(
        `output path ${dest}: directory ${dir} is not writable (fix: choose another --out or fix its permissions)`,
      );
    }
    // /proc and /sys accept neither new files nor new folders (mkdir there used to spin forever).
    const real = fs.realpathSync(dir);
    if (/^\/(proc|sys)(\/|$)/.test(real)) {
      throw new InputError(
        `output path ${dest}: ${real} is a kernel pseudo file system, not a place for files (fix: choose another --out)`,
      );
    }
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(dest);
    } catch {
      st = undefined;
    }
    const kind = st && kindOf(st);
    if (kind === "a directory") throw new InputError(`output path ${dest}: is a directory (fix: give a file path)`);
    if (kind) {
      throw new InputError(
        `output path ${dest}: is ${kind}; orgtrust writes files by atomic rename and will neither replace nor write through it (fix: give the path of a regular file instead)`,
      );
    }
  }
}

function writeJournal(file: string, j: Journal): void {
  const tmp = tempPathFor(file, "journal-");
  try {
    writeStep();
    fs.writeFileSync(tmp, JSON.stringify(j), { mode: 0o600 });
    writeStep();
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

const exists = (p: string) => {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.lstatSync(a);
    const y = fs.lstatSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/** Puts every destination back as it was before the swap. Idempotent: safe to run again after a crash. */
function rollBack(j: Journal): void {
  for (const e of [...j.entries].reverse()) {
    if (e.backup && exists(e.backup)) {
      writeStep();
      // A backup still linked to the destination (killed between link and rename) is the old file itself; rename()
      // between two links of one file does nothing, so drop the extra link instead.
      if (sameFile(e.backup, e.dest)) fs.rmSync(e.backup, { force: true });
      else fs.renameSync(e.backup, e.dest);
    } else if (!e.existed && e.tmp && !exists(e.tmp) && exists(e.dest)) {
      // The new file was renamed into place where there was none: take it away again.
      writeStep();
      fs.rmSync(e.dest, { force: true });
    }
    if (e.tmp && exists(e.tmp)) {
      writeStep();
      fs.rmSync(e.tmp, { force: true });
    }
  }
  for (const d of [...j.createdDirs].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty (someone else's file) or already gone: leave it
    }
  }
}

/** Deletes what a committed swap no longer needs. Idempotent. */
function rollForward(j: Journal): void {
  for (const e of j.entries) {
    for (const t of [e.backup, e.tmp]) {
      if (t && exists(t)) {
        writeStep();
        fs.rmSync(t, { force: true });
      }
    }
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Step 1 of a transaction, also run by the readers of generated files (`generate --check`, `drift --generated`):
 * finishes or undoes the transactions of dead processes whose journals are in `dirs`, then removes their stale temp
 * files. Returns what it did, one line each (also passed to `warn`).
 */
export function recoverInterrupted(dirs: string[], warn?: (message: string) => void): string[] {
  const done: string[] = [];
  const unique = [...new Set(dirs.map((d) => path.resolve(d)))].sort();
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const dir of unique) {
    for (const name of list(dir)
      .filter((n) => n.startsWith(JOURNAL_PREFIX))
      .sort()) {
      const file = path.join(dir, name);
      let j: Journal;
      try {
        j = JSON.parse(fs.readFileSync(file, "utf8")) as Journal;
      } catch {
        continue;
      }
      if (j.orgtrustTransaction !== 1 || pidAlive(j.pid)) continue;
      const n = j.entries.length;
      if (j.state === "committed") {
        rollForward(j);
        done.push(
          `an interrupted orgtrust run (pid ${j.pid}) had already replaced its ${n} files in ${dir}: finished its clean-up`,
        );
      } else {
        rollBack(j);
        done.push(
          `an interrupted orgtrust run (pid ${j.pid}) left a partial write of ${n} files in ${dir}: rolled back, the previous files are in place`,
        );
      }
      fs.rmSync(file, { force: true });
      for (const d of [...j.createdDirs].reverse()) {
        try {
          fs.rmdirSync(d);
        } catch {
          // not empty or gone
        }
      }
    }
  }
  for (const dir of unique) {
    const stale = list(dir).filter(
      (n) => n.startsWith(TMP_PREFIX) && !pidAlive(Number(n.slice(TMP_PREFIX.length).split("-")[0])),
    );
    for (const n of stale) fs.rmSync(path.join(dir, n), { force: true });
    if (stale.length)
      done.push(
        `removed ${stale.length} stale temp file${stale.length === 1 ? "" : "s"} (${stale.join(", ")}) left in ${dir} by an interrupted orgtrust run`,
      );
  }
  for (const d of done) warn?.(d);
  return done;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  EXDEV: "temp file and destination are on different file systems",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "is a directory",
  EMFILE: "too many open files",
};

/** An errno error as "no space left on device (ENOSPC)". */
export function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && ERRNO_TEXT[code]) return `${ERRNO_TEXT[code]} (${code})`;
  return code
    ? `${code}: ${String((e as Error).message).split("\n")[0]}`
    : String((e as Error)?.message ?? e).split("\n")[0];
}

/**
 * Writes `files` and deletes `opts.remove` as one transaction (see the module comment). Throws InputError (exit 2)
 * for a bad destination before anything is written, EnvironmentError (exit 3) when the file system fails mid-way
 * (full disk, I/O error, a refused rename), after putting the previous files back.
 */
export function commitFiles(files: TxnFile[], opts: TxnOptions = {}): void {
  const remove = [...new Set((opts.remove ?? []).map((p) => path.resolve(p)))];
  const targets = files.map((f) => ({ ...f, path: path.resolve(f.path) }));
  if (!targets.length && !remove.length) return;
  step = 0; // the test hooks count the steps of this transaction
  assertWritable([...targets.map((f) => f.path), ...remove]);
  const dirs = [...new Set([...targets, ...remove.map((p) => ({ path: p }))].map((f) => path.dirname(f.path)))];
  recoverInterrupted(dirs, opts.warn);

  const first = [...targets.map((f) => f.path), ...remove].sort()[0];
  const journal: Journal = { orgtrustTransaction: 1, pid: process.pid, state: "staging", entries: [], createdDirs: [] };
  let journalFile: string | undefined;
  let umask = 0o022;
  try {
    umask = process.umask();
  } catch {
    // worker threads cannot read it: keep the usual default
  }
  let current = first;
  try {
    makeDirs(path.dirname(first), journal.createdDirs);
    journalFile = path.join(path.dirname(first), `${JOURNAL_PREFIX}${process.pid}-${rand()}.json`);
    for (const f of targets) journal.entries.push({ dest: f.path, tmp: tempPathFor(f.path), existed: exists(f.path) });
    for (const p of remove) if (exists(p)) journal.entries.push({ dest: p, existed: true });
    for (const e of journal.entries) if (e.existed) e.backup = tempPathFor(e.dest, "old-");
    writeJournal(journalFile, journal);
    // Stage.
    for (const f of targets) {
      current = f.path;
      const e = journal.entries.find((x) => x.dest === f.path)!;
      makeDirs(path.dirname(f.path), journal.createdDirs);
      writeStep();
      const fd = fs.openSync(e.tmp!, "wx", 0o600);
      try {
        writeStep();
        fs.writeFileSync(fd, f.content);
        fs.fsyncSync(fd);
        const mode = (f.mode ?? 0o644) & ~umask;
        if (mode !== 0o600) fs.fchmodSync(fd, mode);
      } finally {
        fs.closeSync(fd);
      }
    }
    writeJournal(journalFile, journal); // now also lists the folders made while staging
  } catch (e) {
    abort(journal, journalFile);
    if (e instanceof InputError) throw e;
    throw new EnvironmentError(
      `could not write ${current}: ${describeErrno(e)} (fix: ${fixFor(e)}; no file was changed)`,
      e,
    );
  }
  try {
    journal.state = "swapping";
    writeJournal(journalFile, journal);
    for (const e of journal.entries) {
      current = e.dest;
      if (e.backup) {
        writeStep();
        if (e.tmp) linkOrCopy(e.dest, e.backup);
        else fs.renameSync(e.dest, e.backup);
      }
      if (e.tmp) {
        writeStep();
        fs.renameSync(e.tmp, e.dest);
      }
    }
    syncDirs(dirs);
    journal.state = "committed";
    writeJournal(journalFile, journal);
  } catch (e) {
    let restored = true;
    try {
      abort(journal, journalFile);
    } catch {
      restored = false;
    }
    throw new EnvironmentError(
      `could not replace ${current}: ${describeErrno(e)} (fix: ${fixFor(e)}; ${restored ? "the previous files were put back" : `the previous files could not all be put back: run the command again to finish the roll-back from ${journalFile}`})`,
      e,
    );
  }
  // Committed: the new set is in place whatever happens next; the rest is clean-up (recovery redoes it if killed).
  try {
    rollForward(journal);
    writeStep();
    fs.rmSync(journalFile, { force: true });
  } catch (e) {
    opts.warn?.(
      `the new files are in place, but clean-up failed: ${describeErrno(e)}; the next run removes the leftovers`,
    );
  }
}

function abort(journal: Journal, journalFile: string | undefined): void {
  rollBack(journal);
  if (journalFile) fs.rmSync(journalFile, { force: true });
  for (const d of [...journal.createdDirs].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty or gone
    }
  }
}

function linkOrCopy(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
  } catch (e) {
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK"].includes((e as NodeJS.ErrnoException).code ?? ""))
      throw e;
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
  }
}

function syncDirs(dirs: string[]): void {
  for (const d of dirs) {
    try {
      const fd = fs.openSync(d, "r");
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // some file systems cannot fsync a folder; the renames are still atomic
    }
  }
}

function fixFor(e: unknown): string {
  switch ((e as NodeJS.ErrnoException)?.code) {
    case "ENOSPC":
    case "EDQUOT":
      return "free space on that file system, then run again";
    case "EROFS":
    case "EACCES":
    case "EPERM":
      return "make the output folder writable, or choose another --out";
    default:
      return "check the output folder and the file system, then run again";
  }
}
