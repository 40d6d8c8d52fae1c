import { closeSync, openSync, readSync } from 'node:fs';
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

  constructor(path: string, backend: EmulationBackend, who: CurrentClient, comment: string) {
    this.#path = path;
    this.#file = new TraceFile(path, comment);
    this.#unsubscribe = backend.subscribe((e) => {
      if (e.type !== 'trace') return;
      const r = recordFromMdioEvent(e.record.event, who.name, Date.now());
      if (r) this.#file.write(r);
    });
  }

  get records(): number {
    return this.#file.records;
  }

  /** Whole lines from byte `offset`, at most `maxBytes` of them (at least one line if one is there). */
  fetch(offset: number, maxBytes: number): RecordingChunk {
    const size = this.#file.bytes;
    const start = Math.min(offset, size);
    const want = Math.min(Math.max(maxBytes, 0), size - start);
    if (want === 0) return { text: '', next: start, size };
    const buf = Buffer.alloc(want);
    const fd = openSync(this.#path, 'r');
    let got = 0;
    try {
      got = readSync(fd, buf, 0, want, start);
    } finally {
      closeSync(fd);
    }
    // Cut after the last newline: a piece never ends mid-line (or mid-character).
    const end = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
    return { text: buf.toString('utf8', 0, end), next: start + end, size };
  }

  close(): void {
    this.#unsubscribe();
    this.#file.close();
  }
}
