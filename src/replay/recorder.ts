import type { MdioEvent } from '../mdio/trace.js';
import type { TraceRecord } from './record.js';

/** Turns one bus trace event into a trace record; undefined for events that are not MDIO frames. */
export function recordFromMdioEvent(
  e: { type: string },
  client?: string,
  wallMs?: number,
): TraceRecord | undefined {
  if (e.type !== 'mdio.read' && e.type !== 'mdio.write' && e.type !== 'mdio.c45.address') return undefined;
  const m = e as MdioEvent;
  const r: TraceRecord =
    m.type === 'mdio.c45.address'
      ? {
          vtNs: m.t,
          bus: m.bus,
          op: 'address',
          addr: m.addr,
          devad: m.devad,
          reg: m.reg,
          value: m.reg,
          result: m.responded ? 'ok' : 'no-response',
        }
      : {
          vtNs: m.t,
          bus: m.bus,
          op: m.type === 'mdio.read' ? 'read' : 'write',
          addr: m.addr,
          reg: m.reg,
          value: m.value,
          result: m.fault === 'bit-error' ? 'bit-error' : m.responded ? 'ok' : 'no-response',
        };
  if (m.type !== 'mdio.c45.address' && m.devad !== undefined) r.devad = m.devad;
  if (client !== undefined) r.client = client;
  if (wallMs !== undefined) r.wallMs = wallMs;
  return r;
}

export interface RecorderOptions {
  /** Names the client in every record (the socket session, "scenario-driver"). */
  client?: string;
  /** Wall clock in ms since the epoch; omit to leave wall time out (deterministic traces). */
  wallNow?: () => number;
}

/**
 * A trace sink for an `MdioBus` (`new MdioBus({ trace: recorder })`, or subscribe it to a `Tracer`) that
 * hands every frame to `out` as a `TraceRecord`. Other event types pass through untouched.
 */
export class MdioRecorder {
  readonly enabled = true;
  count = 0;
  readonly #out: (r: TraceRecord) => void;
  readonly #options: RecorderOptions;

  constructor(out: (r: TraceRecord) => void, options: RecorderOptions = {}) {
    this.#out = out;
    this.#options = options;
  }

  emit(e: { type: string }): void {
    const r = recordFromMdioEvent(e, this.#options.client, this.#options.wallNow?.());
    if (!r) return;
    this.count++;
    this.#out(r);
  }
}
