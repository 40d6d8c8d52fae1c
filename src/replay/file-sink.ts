import { closeSync, openSync, writeSync } from 'node:fs';
import { TraceWriter } from './format.js';
import type { TraceRecord } from './record.js';

/**
 * A trace file written line by line with one write(2) per line, never buffered in the process: a crash
 * or a kill loses at most the line being written, which the reader tolerates (format.ts `truncated`).
 */
export class TraceFile {
  readonly #fd: number;
  readonly #writer: TraceWriter;
  #closed = false;
  bytes = 0;
  records = 0;

  constructor(path: string, comment?: string) {
    this.#fd = openSync(path, 'w');
    this.#writer = new TraceWriter((line) => {
      this.bytes += Buffer.byteLength(line);
      writeSync(this.#fd, line);
    }, comment);
  }

  write(r: TraceRecord): void {
    if (this.#closed) return;
    this.records++;
    this.#writer.write(r);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}
