import { describeRecord, type TraceOp, type TraceRecord } from './record.js';

/**
 * Answering a client from a recording instead of a model.
 * - `strict`: requests must come exactly in the recorded order; each is answered with the recorded value.
 * - `per-register`: each PHY register answers its own recorded read sequence, with runs of equal values
 *   collapsed (a driver polling BMSR ten times in the recording and three times now sees the same value
 *   changes), the last value sticking once the sequence is used up.
 * Requests the recording did not foresee are answered as an empty MDIO address would be (0xffff) and listed
 * in `unforeseen`.
 */
export type ServeMode = 'strict' | 'per-register';

export interface ReplayRequest {
  bus: string;
  op: TraceOp;
  addr: number;
  devad?: number;
  reg: number;
  /** For writes and address frames. */
  value?: number;
}

export interface Unforeseen {
  /** 0-based number of the request in this session. */
  request: number;
  req: ReplayRequest;
  reason: string;
  /** What the recording expected at that point (strict mode). */
  expected?: TraceRecord;
}

const UNANSWERED = 0xffff;

export interface ReplayServerOptions {
  /**
   * Keep at most this many unforeseen requests in `unforeseen` (later ones are only counted), so a server
   * fed by a hostile client holds bounded memory. Default: keep all (a file of requests bounds them).
   */
  keepUnforeseen?: number;
}

export class ReplayServer {
  readonly mode: ServeMode;
  /** The unforeseen requests, the first `keepUnforeseen` of them. */
  readonly unforeseen: Unforeseen[] = [];
  /** Every unforeseen request, kept or not. */
  unforeseenCount = 0;
  /** The most recent unforeseen request, kept or not. */
  lastUnforeseen: Unforeseen | undefined;
  readonly #keep: number;
  readonly #records: readonly TraceRecord[];
  #cursor = 0;
  #requests = 0;
  readonly #registers = new Map<string, { values: number[]; pos: number; writes: Set<number> }>();

  constructor(records: readonly TraceRecord[], mode: ServeMode, options: ReplayServerOptions = {}) {
    this.mode = mode;
    this.#keep = options.keepUnforeseen ?? Infinity;
    this.#records = records;
    if (mode === 'per-register') {
      for (const r of records) {
        const slot = this.#slot(r, true);
        if (!slot) continue;
        if (r.op === 'read' && slot.values.at(-1) !== r.value) slot.values.push(r.value);
        else if (r.op !== 'read') slot.writes.add(r.value);
      }
    }
  }

  read(bus: string, addr: number, reg: number, devad?: number): number {
    return this.handle({ bus, op: 'read', addr, reg, ...(devad !== undefined ? { devad } : {}) });
  }

  write(bus: string, addr: number, reg: number, value: number, devad?: number): void {
    this.handle({ bus, op: 'write', addr, reg, value, ...(devad !== undefined ? { devad } : {}) });
  }

  /** Answers one request; the return value is meaningful for reads. */
  handle(req: ReplayRequest): number {
    const n = this.#requests++;
    return this.mode === 'strict' ? this.#strict(req, n) : this.#perRegister(req, n);
  }

  #miss(u: Unforeseen): void {
    this.unforeseenCount++;
    this.lastUnforeseen = u;
    if (this.unforeseen.length < this.#keep) this.unforeseen.push(u);
  }

  /** Recorded transactions not yet played (strict mode): a client that stopped early. */
  get remaining(): number {
    return this.mode === 'strict' ? this.#records.length - this.#cursor : 0;
  }

  /** One line per problem, for reports. */
  report(): string[] {
    const lines = this.unforeseen.map(
      (u) => `request ${u.request + 1}: ${describeRequest(u.req)}: ${u.reason}`,
    );
    if (this.remaining > 0) {
      const next = this.#records[this.#cursor];
      lines.push(
        `${this.remaining} recorded transaction(s) never requested, from ${next ? `line ${next.line ?? '?'}: ${describeRecord(next)}` : 'the end'}`,
      );
    }
    return lines;
  }

  #strict(req: ReplayRequest, n: number): number {
    const expected = this.#records[this.#cursor];
    if (!expected) {
      this.#miss({ request: n, req, reason: 'the recording has ended' });
      return UNANSWERED;
    }
    const sameTarget =
      expected.bus === req.bus &&
      expected.op === req.op &&
      expected.addr === req.addr &&
      expected.devad === req.devad &&
      expected.reg === req.reg;
    if (!sameTarget || (req.op !== 'read' && req.value !== expected.value)) {
      this.#miss({
        request: n,
        req,
        reason: `the recording expects ${describeRecord(expected)}${expected.line ? ` (line ${expected.line})` : ''}`,
        expected,
      });
      return UNANSWERED;
    }
    this.#cursor++;
    return req.op === 'read' ? expected.value : 0;
  }

  #perRegister(req: ReplayRequest, n: number): number {
    const slot = this.#slot(req, false);
    if (req.op === 'read') {
      if (!slot || slot.values.length === 0) {
        this.#miss({ request: n, req, reason: 'the recording never reads this register' });
        return UNANSWERED;
      }
      const value = slot.values[Math.min(slot.pos, slot.values.length - 1)] ?? UNANSWERED;
      slot.pos++;
      return value;
    }
    if (!slot?.writes.has(req.value ?? -1)) {
      this.#miss({
        request: n,
        req,
        reason:
          slot && slot.writes.size > 0
            ? `the recording writes only ${[...slot.writes].map(hex4).join(', ')} here`
            : 'the recording never writes this register',
      });
    }
    return 0;
  }

  #slot(
    r: { bus: string; op: TraceOp; addr: number; devad?: number; reg: number },
    create: boolean,
  ): { values: number[]; pos: number; writes: Set<number> } | undefined {
    // Address frames are keyed apart from data frames: they select a register rather than touch one.
    const key = `${r.bus}\u0000${r.addr}\u0000${r.devad ?? ''}\u0000${r.op === 'address' ? 'a' : r.reg}`;
    let slot = this.#registers.get(key);
    if (!slot && create) {
      slot = { values: [], pos: 0, writes: new Set() };
      this.#registers.set(key, slot);
    }
    return slot;
  }
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

export function describeRequest(q: ReplayRequest): string {
  return describeRecord({
    vtNs: 0,
    bus: q.bus,
    op: q.op,
    addr: q.addr,
    reg: q.reg,
    value: q.value ?? 0,
    result: 'ok',
    ...(q.devad !== undefined ? { devad: q.devad } : {}),
  }).replace(/ = 0x[0-9a-f]{4}$/, '');
}
