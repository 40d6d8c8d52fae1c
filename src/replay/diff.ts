import { describeRecord, type TraceRecord } from './record.js';

/**
 * Two traces aligned transaction by transaction (Myers' O(ND) shortest edit script over the request and
 * its value; times and clients are ignored), with a delete and an insert of the same register at the same
 * spot reported as one changed value.
 */
export type DiffEntry =
  { kind: 'changed'; a: number; b: number } | { kind: 'only-a'; a: number } | { kind: 'only-b'; b: number };

export interface TraceDiff {
  equal: boolean;
  entries: DiffEntry[];
  /** How bus names were compared: `names`, or `order` when the traces share no bus name (kernel vs emulator). */
  busMatching: 'names' | 'order';
  /** True when the traces differ in more places than `maxEdits`; entries then come from a positional comparison. */
  approximate: boolean;
}

export interface DiffOptions {
  /** Edit distance beyond which alignment gives up (cost grows with it); default 1000. */
  maxEdits?: number;
}

export function diffTraces(
  a: readonly TraceRecord[],
  b: readonly TraceRecord[],
  options: DiffOptions = {},
): TraceDiff {
  const aBuses = new Set(a.map((r) => r.bus));
  const shared = b.some((r) => aBuses.has(r.bus));
  const busMatching = shared || a.length === 0 || b.length === 0 ? 'names' : 'order';
  const ka = keys(a, busMatching);
  const kb = keys(b, busMatching);
  const script = myers(ka, kb, options.maxEdits ?? 1000);
  const approximate = script === undefined;
  const ops = script ?? positional(ka, kb);
  const entries = pairChanges(ops, a, b);
  return { equal: entries.length === 0, entries, busMatching, approximate };
}

type Op = { kind: 'equal' | 'delete' | 'insert'; a: number; b: number };

function keys(records: readonly TraceRecord[], busMatching: 'names' | 'order'): string[] {
  const order = new Map<string, number>();
  return records.map((r) => {
    let bus = r.bus;
    if (busMatching === 'order') {
      let i = order.get(r.bus);
      if (i === undefined) order.set(r.bus, (i = order.size));
      bus = `#${i}`;
    }
    return `${bus} ${r.op} ${r.addr} ${r.devad ?? ''} ${r.reg} ${r.value}`;
  });
}

/** Myers 1986, forward greedy with one V snapshot per D; undefined when D would exceed `maxD`. */
function myers(a: readonly string[], b: readonly string[], maxD: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxD);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && item(v, offset + k - 1) < item(v, offset + k + 1))
          ? item(v, offset + k + 1)
          : item(v, offset + k - 1) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m, d);
    }
    v = next;
  }
  return undefined;
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number, dEnd: number): Op[] {
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d--) {
    const v = item(trace, d);
    const k = x - y;
    const down = k === -d || (k !== d && item(v, offset + k - 1) < item(v, offset + k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = item(v, offset + prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push({ kind: 'equal', a: --x, b: --y });
    if (down) ops.push({ kind: 'insert', a: x, b: --y });
    else ops.push({ kind: 'delete', a: --x, b: y });
  }
  while (x > 0 && y > 0) ops.push({ kind: 'equal', a: --x, b: --y });
  return ops.reverse();
}

function positional(a: readonly string[], b: readonly string[]): Op[] {
  const ops: Op[] = [];
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    if (a[i] === b[i]) ops.push({ kind: 'equal', a: i, b: i });
    else ops.push({ kind: 'delete', a: i, b: i }, { kind: 'insert', a: i + 1, b: i });
  }
  for (let i = common; i < a.length; i++) ops.push({ kind: 'delete', a: i, b: common });
  for (let i = common; i < b.length; i++) ops.push({ kind: 'insert', a: a.length, b: i });
  return ops;
}

/** Within each run of edits, a deleted and an inserted transaction to the same register pair up as `changed`. */
function pairChanges(ops: Op[], a: readonly TraceRecord[], b: readonly TraceRecord[]): DiffEntry[] {
  const out: DiffEntry[] = [];
  let i = 0;
  while (i < ops.length) {
    if (item(ops, i).kind === 'equal') {
      i++;
      continue;
    }
    const dels: number[] = [];
    const ins: number[] = [];
    while (i < ops.length && item(ops, i).kind !== 'equal') {
      const op = item(ops, i);
      if (op.kind === 'delete') dels.push(op.a);
      else ins.push(op.b);
      i++;
    }
    let j = 0;
    for (const ai of dels) {
      const ra = item(a, ai);
      const bi = ins[j];
      const rb = bi === undefined ? undefined : b[bi];
      if (
        bi !== undefined &&
        rb &&
        rb.op === ra.op &&
        rb.addr === ra.addr &&
        rb.reg === ra.reg &&
        rb.devad === ra.devad
      ) {
        out.push({ kind: 'changed', a: ai, b: bi });
        j++;
      } else out.push({ kind: 'only-a', a: ai });
    }
    for (const bi of ins.slice(j)) out.push({ kind: 'only-b', b: bi });
  }
  return out;
}

/** The readable report: a summary line, then one line per difference (at most `limit`). */
export function formatDiff(
  diff: TraceDiff,
  a: readonly TraceRecord[],
  b: readonly TraceRecord[],
  names: [string, string] = ['A', 'B'],
  limit = 200,
): string[] {
  const [na, nb] = names;
  if (diff.equal) return [`traces are equal: ${a.length} transactions`];
  const count = (k: DiffEntry['kind']): number => diff.entries.filter((e) => e.kind === k).length;
  const lines = [
    `traces differ: ${count('changed')} changed, ${count('only-a')} only in ${na}, ${count('only-b')} only in ${nb} (${na}: ${a.length} transactions, ${nb}: ${b.length})`,
  ];
  if (diff.busMatching === 'order')
    lines.push('(no bus name in common: buses compared in order of first use)');
  if (diff.approximate) lines.push('(too many differences to align: compared position by position)');
  const at = (r: TraceRecord | undefined, i: number): string => `${r?.line ?? i + 1}`;
  for (const e of diff.entries.slice(0, limit)) {
    if (e.kind === 'changed') {
      const ra = item(a, e.a);
      const rb = item(b, e.b);
      lines.push(
        `~ ${na}:${at(ra, e.a)} ${nb}:${at(rb, e.b)}  ${describeRecord(ra).replace(/ [=<]-? 0x[0-9a-f]{4}.*$/, '')}: ${hex4(ra.value)} in ${na}, ${hex4(rb.value)} in ${nb}`,
      );
    } else if (e.kind === 'only-a') lines.push(`- ${na}:${at(a[e.a], e.a)}  ${describeRecord(item(a, e.a))}`);
    else lines.push(`+ ${nb}:${at(b[e.b], e.b)}  ${describeRecord(item(b, e.b))}`);
  }
  if (diff.entries.length > limit) lines.push(`… ${diff.entries.length - limit} more`);
  return lines;
}

/** An index the algorithm keeps in range: a RangeError (a bug here, not bad input) if it is not. */
function item<T>(list: ArrayLike<T>, i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`diff: index ${i} outside 0-${list.length - 1}`);
  return v;
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
