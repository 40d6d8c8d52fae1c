import { MAX_VIRTUAL_NS } from '../clock.js';
import { TraceError, TraceErrorCode } from './errors.js';
import type { TraceOp, TraceRecord, TraceResult } from './record.js';

/**
 * The line-oriented trace format (docs/trace-format.md). One transaction per line so a writer can flush
 * line by line and a crash loses at most the last line; buses and clients are declared once and referred
 * to by index to keep lines short:
 *
 *   mdio-emu-trace 1
 *   bus 0 /mdio@ff0d0000
 *   client 0 scenario-driver
 *   1500000000 1732456789123.456 0 0 r 1 0x02 0x0141 ok
 */
export const TRACE_MAGIC = 'mdio-emu-trace';
export const TRACE_VERSION = 1;
export const TRACE_HEADER = `${TRACE_MAGIC} ${TRACE_VERSION}`;

const OP_CODE: Record<TraceOp, string> = { read: 'r', write: 'w', address: 'a' };
const OP_OF: Record<string, TraceOp> = { r: 'read', w: 'write', a: 'address' };
const RESULT_CODE: Record<TraceResult, string> = {
  ok: 'ok',
  'no-response': 'nr',
  'bit-error': 'be',
  error: 'er',
};
const RESULT_OF: Record<string, TraceResult> = { ok: 'ok', nr: 'no-response', be: 'bit-error', er: 'error' };

/** Turns records into lines, declaring each bus and client the first time it is used. */
export class TraceWriter {
  readonly #buses = new Map<string, number>();
  readonly #clients = new Map<string, number>();
  readonly #emit: (text: string) => void;

  /** `emit` receives whole lines, each ending in a newline (the header first). */
  constructor(emit: (text: string) => void, comment?: string) {
    this.#emit = emit;
    emit(`${TRACE_HEADER}\n`);
    if (comment) for (const c of comment.split('\n')) emit(`# ${c}\n`);
  }

  write(r: TraceRecord): void {
    let bus = this.#buses.get(r.bus);
    if (bus === undefined) {
      bus = this.#buses.size;
      this.#buses.set(r.bus, bus);
      this.#emit(`bus ${bus} ${escapeName(r.bus)}\n`);
    }
    let client = '-';
    if (r.client !== undefined) {
      let c = this.#clients.get(r.client);
      if (c === undefined) {
        c = this.#clients.size;
        this.#clients.set(r.client, c);
        this.#emit(`client ${c} ${escapeName(r.client)}\n`);
      }
      client = String(c);
    }
    this.#emit(formatRecordLine(r, bus, client));
  }
}

/** `0x0000`..`0xffff`, built once: formatting a value is then a table lookup. */
let hex4Table: string[] | undefined;
function hex4(n: number): string {
  hex4Table ??= Array.from({ length: 0x10000 }, (_, i) => `0x${i.toString(16).padStart(4, '0')}`);
  return hex4Table[n] ?? `0x${n.toString(16).padStart(4, '0')}`;
}
const HEX2 = Array.from({ length: 0x100 }, (_, i) => `0x${i.toString(16).padStart(2, '0')}`);

/** One record line (with its newline), given the bus and client indices already declared. */
export function formatRecordLine(r: TraceRecord, bus: number, client: string): string {
  const wall = r.wallMs === undefined ? '-' : String(Math.round(r.wallMs * 1000) / 1000);
  const reg =
    r.devad === undefined ? (HEX2[r.reg] ?? `0x${r.reg.toString(16)}`) : `${r.devad}:${hex4(r.reg)}`;
  return `${r.vtNs} ${wall} ${client} ${bus} ${OP_CODE[r.op]} ${r.addr} ${reg} ${hex4(r.value)} ${RESULT_CODE[r.result]}\n`;
}

/** Whole traces to text, for tests and small files. */
export function formatTrace(records: Iterable<TraceRecord>, comment?: string): string {
  const parts: string[] = [];
  const w = new TraceWriter((t) => parts.push(t), comment);
  for (const r of records) w.write(r);
  return parts.join('');
}

export interface ParsedTrace {
  records: TraceRecord[];
  /** The input ended in an incomplete line that was dropped (a writer killed mid-line). */
  truncated: boolean;
}

/** Names may hold anything but newlines; a space-free form keeps lines splittable. */
function escapeName(name: string): string {
  return name.replace(/[%\s]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
function unescapeName(name: string): string {
  return name.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * Parses our format. A last line without its newline that does not parse is dropped and reported as
 * `truncated` (the writer died mid-line); any other bad line is a `TraceError` naming its line number.
 */
export function parseTrace(text: string, file?: string): ParsedTrace {
  const records: TraceRecord[] = [];
  const buses: string[] = [];
  const clients: string[] = [];
  let truncated = false;
  let lineNo = 0;
  let pos = 0;
  let sawHeader = false;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    const complete = end !== -1;
    if (!complete) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(pos, end - 1) : text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    try {
      if (!sawHeader) {
        sawHeader = true;
        const [magic, version] = line.trim().split(/\s+/);
        if (magic !== TRACE_MAGIC)
          throw new TraceError(
            TraceErrorCode.VERSION,
            lineNo,
            `expected the header "${TRACE_HEADER}", got "${line.slice(0, 40)}"`,
            file,
          );
        if (version !== String(TRACE_VERSION))
          throw new TraceError(
            TraceErrorCode.VERSION,
            lineNo,
            `trace format version ${version ?? '(none)'} is not supported (this reader knows ${TRACE_VERSION})`,
            file,
          );
        continue;
      }
      const fast =
        line.charCodeAt(0) <= 57 && line.charCodeAt(0) >= 48
          ? parseRecordFast(line, lineNo, buses, clients)
          : undefined;
      if (fast) records.push(fast);
      else parseLine(line, lineNo, records, buses, clients, file);
    } catch (err) {
      if (!complete && err instanceof TraceError && lineNo > 1) {
        truncated = true;
        break;
      }
      throw err;
    }
  }
  if (!sawHeader) throw new TraceError(TraceErrorCode.EMPTY, 0, 'empty input', file);
  return { records, truncated };
}

function parseLine(
  line: string,
  lineNo: number,
  records: TraceRecord[],
  buses: string[],
  clients: string[],
  file: string | undefined,
): void {
  const c = line.charCodeAt(0);
  if (Number.isNaN(c) || c === 35 /* # */ || line.trim() === '') return;
  const f = line.split(' ');
  const bad = (detail: string): TraceError => new TraceError(TraceErrorCode.MALFORMED, lineNo, detail, file);
  if (c === 98 /* b */ || c === 99 /* c */) {
    const list = f[0] === 'bus' ? buses : f[0] === 'client' ? clients : undefined;
    if (!list || f.length !== 3)
      throw bad(`expected "bus N NAME" or "client N NAME", got "${line.slice(0, 60)}"`);
    const index = Number(f[1]);
    if (index !== list.length)
      throw bad(`${f[0]} ${f[1]} declared out of order (next index is ${list.length})`);
    list.push(unescapeName(f[2] ?? ''));
    return;
  }
  if (f.length !== 9)
    throw bad(`expected 9 fields (vt wall client bus op addr reg value result), got ${f.length}`);
  const [vt, wall, client, bus, op, addr, reg, value, result] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const vtNs = Number(vt);
  // Virtual time counts whole nanoseconds from 0 and is exact up to 2^53 - 1 (src/clock.ts MAX_VIRTUAL_NS).
  if (!/^[0-9]+$/.test(vt) || !(vtNs <= MAX_VIRTUAL_NS))
    throw bad(`virtual time "${vt.slice(0, 40)}" is not whole nanoseconds from 0 to ${MAX_VIRTUAL_NS}`);
  const busName = buses[Number(bus)];
  if (busName === undefined)
    throw new TraceError(TraceErrorCode.UNDECLARED, lineNo, `bus ${bus} was not declared`, file);
  const opName = OP_OF[op];
  if (!opName) throw bad(`operation "${op}" is not r, w or a`);
  const resultName = RESULT_OF[result];
  if (!resultName) throw bad(`result "${result}" is not ok, nr, be or er`);
  const addrN = Number(addr);
  if (!Number.isInteger(addrN) || addrN < 0 || addrN > 31 || addr === '')
    throw bad(`PHY address "${addr}" is not 0-31`);
  const colon = reg.indexOf(':');
  const regN = hexField(colon === -1 ? reg : reg.slice(colon + 1));
  const devad = colon === -1 ? undefined : Number(reg.slice(0, colon));
  if (regN === undefined || (devad !== undefined && !(Number.isInteger(devad) && devad >= 0 && devad <= 31)))
    throw bad(`register "${reg}" is not 0xRR or DEVAD:0xRRRR`);
  if (devad === undefined && regN > 0x1f) throw bad(`Clause 22 register "${reg}" is not 0x00-0x1f`);
  if (devad !== undefined && regN > 0xffff) throw bad(`Clause 45 register "${reg}" is not 0x0000-0xffff`);
  const valueN = hexField(value);
  if (valueN === undefined || valueN > 0xffff) throw bad(`value "${value}" is not a 16-bit 0xVVVV`);
  const r: TraceRecord = {
    vtNs,
    bus: busName,
    op: opName,
    addr: addrN,
    reg: regN,
    value: valueN,
    result: resultName,
    line: lineNo,
  };
  if (wall !== '-') {
    const w = Number(wall);
    if (!Number.isFinite(w) || wall === '') throw bad(`wall time "${wall}" is not a number or -`);
    r.wallMs = w;
  }
  if (client !== '-') {
    const name = clients[Number(client)];
    if (name === undefined)
      throw new TraceError(TraceErrorCode.UNDECLARED, lineNo, `client ${client} was not declared`, file);
    r.client = name;
  }
  if (devad !== undefined) r.devad = devad;
  records.push(r);
}

function hexField(s: string): number | undefined {
  if (s.length < 3 || s.charCodeAt(0) !== 48 || (s.charCodeAt(1) | 0x20) !== 120) return undefined;
  const n = Number.parseInt(s.slice(2), 16);
  return Number.isNaN(n) || !/^[0-9a-f]+$/i.test(s.slice(2)) ? undefined : n;
}

const OPS: Record<number, TraceOp> = { 114: 'read', 119: 'write', 97: 'address' };

/**
 * The common case without substrings or regular expressions (a million lines must parse in well under a
 * second). Returns undefined for anything unusual; `parseLine` then parses it again and names the error.
 */
// Scanner state for parseRecordFast: module-level rather than closures, which V8 would allocate per line.
let S = '';
let P = 0;

/** Decimal integer at P; -1 when there is none. */
function decAt(): number {
  let v = 0;
  const start = P;
  for (;;) {
    const c = S.charCodeAt(P);
    if (!(c >= 48 && c <= 57)) break;
    v = v * 10 + (c - 48);
    P++;
  }
  return P === start ? -1 : v;
}

/** `0x` and 1-8 hex digits at P; -1 when malformed. */
function hexAt(): number {
  if (S.charCodeAt(P) !== 48 || S.charCodeAt(P + 1) !== 120) return -1;
  P += 2;
  let v = 0;
  const start = P;
  for (;;) {
    const c = S.charCodeAt(P);
    if (c >= 48 && c <= 57) v = v * 16 + (c - 48);
    else if (c >= 97 && c <= 102) v = v * 16 + (c - 87);
    else if (c >= 65 && c <= 70) v = v * 16 + (c - 55);
    else break;
    P++;
  }
  return P === start || P - start > 8 ? -1 : v;
}

function spaceAt(): boolean {
  return S.charCodeAt(P++) === 32;
}

function parseRecordFast(
  s: string,
  lineNo: number,
  buses: readonly string[],
  clients: readonly string[],
): TraceRecord | undefined {
  S = s;
  P = 0;
  const vtNs = decAt();
  if (vtNs < 0 || vtNs > MAX_VIRTUAL_NS || !spaceAt()) return undefined;
  let wallMs: number | undefined;
  if (s.charCodeAt(P) === 45) P++;
  else {
    const start = P;
    const end = s.indexOf(' ', P);
    if (end <= start) return undefined;
    wallMs = Number(s.slice(start, end));
    if (!Number.isFinite(wallMs)) return undefined;
    P = end;
  }
  if (!spaceAt()) return undefined;
  let client: string | undefined;
  if (s.charCodeAt(P) === 45) P++;
  else {
    client = clients[decAt()];
    if (client === undefined) return undefined;
  }
  if (!spaceAt()) return undefined;
  const bus = buses[decAt()];
  if (bus === undefined || !spaceAt()) return undefined;
  const op = OPS[s.charCodeAt(P++)];
  if (op === undefined || !spaceAt()) return undefined;
  const addr = decAt();
  if (addr < 0 || addr > 31 || !spaceAt()) return undefined;
  let devad: number | undefined;
  if (s.charCodeAt(P) !== 48 || s.charCodeAt(P + 1) !== 120) {
    devad = decAt();
    if (devad < 0 || devad > 31 || s.charCodeAt(P++) !== 58) return undefined;
  }
  const reg = hexAt();
  if (reg < 0 || reg > (devad === undefined ? 0x1f : 0xffff) || !spaceAt()) return undefined;
  const value = hexAt();
  if (value < 0 || value > 0xffff || !spaceAt() || P + 2 !== s.length) return undefined;
  const a = s.charCodeAt(P);
  const b = s.charCodeAt(P + 1);
  // ok, nr, be, er
  const result: TraceResult | undefined =
    a === 111 && b === 107
      ? 'ok'
      : a === 110 && b === 114
        ? 'no-response'
        : a === 98 && b === 101
          ? 'bit-error'
          : a === 101 && b === 114
            ? 'error'
            : undefined;
  if (result === undefined) return undefined;
  const r: TraceRecord = { vtNs, bus, op, addr, reg, value, result, line: lineNo };
  if (wallMs !== undefined) r.wallMs = wallMs;
  if (client !== undefined) r.client = client;
  if (devad !== undefined) r.devad = devad;
  return r;
}
