import type { BackendTraceRecord } from '../src/protocol/session/backend.js';

/** The newest `capacity` trace records, numbered from 0, for TRACE_FETCH and the shutdown trace file. */
export class TraceRing {
  readonly #slots: (BackendTraceRecord | undefined)[];
  #seq = 0;

  constructor(readonly capacity = 8192) {
    this.#slots = new Array<BackendTraceRecord | undefined>(capacity);
  }

  push(timeNs: bigint, event: BackendTraceRecord['event']): BackendTraceRecord {
    const record = { seq: this.#seq++, timeNs, event };
    this.#slots[record.seq % this.capacity] = record;
    return record;
  }

  /** Up to `max` records with seq >= since, oldest first; `next` is where to continue. */
  since(since: number, max: number): { records: BackendTraceRecord[]; next: number } {
    const first = Math.max(0, this.#seq - this.capacity);
    const records: BackendTraceRecord[] = [];
    for (let s = Math.max(since, first); s < this.#seq && records.length < max; s++) {
      const r = this.#slots[s % this.capacity];
      if (r) records.push(r);
    }
    const last = records.at(-1);
    return { records, next: last ? last.seq + 1 : Math.max(since, first) };
  }
}
