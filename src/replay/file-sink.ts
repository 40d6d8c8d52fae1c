import { closeSync, openSync, writeSync } from 'node:fs';
import { EnvironmentError } from '../diagnostics/index.js';
import { reason } from '../io/index.js';
import { TraceWriter } from './format.js';
import type { TraceRecord } from './record.js';

/**
 * A trace file written line by line with one write(2) per line, never buffered in the process: a crash
 * or a kill loses at most the line being written, which the reader tolerates (format.ts `truncated`).
 * A failed write (a full disk, /dev/full) stops the file where it is: the lines before it stay as written,
 * the error says how many, and nothing more is appended after a possibly partial line.
 */
export class TraceFile {
  readonly #fd: number;
  readonly #writer: TraceWriter;
  readonly #path: string;
  #closed = false;
  /** The write error that stopped the file, if one did. */
  failure: EnvironmentError | undefined;
  bytes = 0;
  records = 0;

  constructor(path: string, comment?: string) {
    this.#path = path;
    try {
      this.#fd = openSync(path, 'w');
    } catch (err) {
      throw new EnvironmentError('CLI1103', `cannot create the trace file: ${reason(err)}`, {
        where: path,
        cause: err,
      });
    }
    try {
      this.#writer = new TraceWriter((line) => {
        this.#writeLine(line);
      }, comment);
    } catch (err) {
      closeSync(this.#fd);
      throw err;
    }
  }

  /** Appends one record; throws the EnvironmentError of a failed write (once; later records are dropped). */
  write(r: TraceRecord): void {
    if (this.#closed || this.failure) return;
    this.#writer.write(r);
    this.records++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  #writeLine(line: string): void {
    const bytes = Buffer.from(line, 'utf8');
    let done = 0;
    try {
      // write(2) may write less than asked (a nearly full disk, a pipe): the rest follows, so a line is
      // never silently cut short.
      while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done);
    } catch (err) {
      this.bytes += done;
      this.failure = new EnvironmentError(
        'CLI1104',
        `cannot write the trace file: ${reason(err)}; the ${this.records} transaction(s) before it are kept`,
        { where: this.#path, cause: err },
      );
      throw this.failure;
    }
    this.bytes += done;
  }
}
