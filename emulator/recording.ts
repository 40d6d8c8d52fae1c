import { closeSync, openSync, readSync } from 'node:fs';
import { EnvironmentError } from '../src/diagnostics/index.js';
import { TraceFile } from '../src/replay/file-sink.js';
import { recordFromMdioEvent } from '../src/replay/recorder.js';
import type { EmulationBackend, RecordingChunk } from '../src/protocol/session/backend.js';
import type { CurrentClient } from './current-client.js';

/**
 * `serve --record FILE`: every MDIO transaction the served backend traces (models or a replay), stamped with
 * the client whose request caused it, written to FILE in the trace format (docs/trace-format.md) with one
 * write(2) per line, so a killed daemon loses at most the line being written. RECORDING_FETCH reads the
 * same file back, so what a client fetches is byte for byte what is on disk.
 */
export class DaemonRecording {
  readonly #file: TraceFile;
  readonly #path: string;
  readonly #unsubscribe: () => void;

  /**
   * `onError` hears once of a write that failed (a full disk): the file keeps every line before it, the
   * daemon keeps serving (a client must not fail because the recorder did), and `failure` holds the error.
   */
  constructor(
    path: string,
    backend: EmulationBackend,
    who: CurrentClient,
    comment: string,
    onError: (err: EnvironmentError) => void = () => undefined,
  ) {
    this.#path = path;
    this.#file = new TraceFile(path, comment);
    this.#unsubscribe = backend.subscribe((e) => {
      if (e.type !== 'trace' || this.#file.failure) return;
      const r = recordFromMdioEvent(e.record.event, who.name, Date.now());
      if (!r) return;
      try {
        this.#file.write(r);
      } catch (err) {
        // TraceFile throws its write failure (and keeps it in `failure`); anything else is a bug.
        if (!(err instanceof EnvironmentError)) throw err;
        onError(err);
      }
    });
  }

  get records(): number {
    return this.#file.records;
  }

  /** The write error that stopped the recording, if one did. */
  get failure(): EnvironmentError | undefined {
    return this.#file.failure;
  }

  /**
   * Whole lines from byte `offset`, at most `maxBytes` of them. A line longer than `maxBytes` comes in pieces
   * cut at character boundaries (a piece without a final newline), so every call makes progress while the
   * file has complete lines past `offset` (docs/protocol.md, RECORDING_FETCH).
   */
  fetch(offset: number, maxBytes: number): RecordingChunk {
    const size = this.#file.bytes;
    const start = Math.min(offset, size);
    // At least one UTF-8 character's worth, so a piece can always be cut at a character boundary.
    const want = Math.min(Math.max(maxBytes, 4), size - start);
    if (want === 0) return { text: '', next: start, size };
    const buf = Buffer.alloc(want);
    const fd = openSync(this.#path, 'r');
    let got = 0;
    try {
      got = readSync(fd, buf, 0, want, start);
    } finally {
      closeSync(fd);
    }
    // Cut after the last newline. With none, the window lies inside one line: a line longer than the window
    // goes out piece by piece; an incomplete last line (a writer killed mid-line) is not sent at all.
    let end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
    if (end === 0 && start + got < size) end = utf8Boundary(buf, got);
    return { text: buf.toString('utf8', 0, end), next: start + end, size };
  }

  close(): void {
    this.#unsubscribe();
    this.#file.close();
  }
}

/** The largest n' <= n such that buf[0, n') ends on a whole UTF-8 character. */
function utf8Boundary(buf: Buffer, n: number): number {
  // The lead byte of the last character starts at most 3 bytes before the end.
  for (let i = n - 1; i >= Math.max(0, n - 4); i--) {
    const b = buf[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue;
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return i + len <= n ? n : i;
  }
  return n;
}
