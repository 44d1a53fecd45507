import { assertWritable, commitFiles, type TxnFile, type TxnOptions } from "./transaction";

/** A file to write: destination, content and mode (see common/transaction.ts). */
export type PlannedFile = TxnFile;

export { assertWritable };

/**
 * Writes a set of files all or nothing, as one journaled transaction (common/transaction.ts): staged to temp files,
 * swapped into place with a roll-back, and finished or undone by the next run if this one is killed.
 */
export function writeFilesAtomic(files: PlannedFile[], opts: TxnOptions = {}): void {
  commitFiles(files, opts);
}

/** Writes one file atomically (temp file + rename, through the same transaction). */
export function writeFileAtomic(dest: string, content: string, mode?: number, opts: TxnOptions = {}): void {
  commitFiles([{ path: dest, content, mode }], opts);
}
