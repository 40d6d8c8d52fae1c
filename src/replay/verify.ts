import { describeRecord, type TraceRecord, type TraceResult } from './record.js';

/** What verify drives: a model reachable by bus name, on a clock it can move forward. */
export interface VerifyTarget {
  /** Bus names the model has, in the order a person would list them. */
  readonly buses: readonly string[];
  advanceTo(vtNs: number): void;
  read(bus: string, addr: number, reg: number, devad?: number): { value: number; result: TraceResult };
  write(bus: string, addr: number, reg: number, value: number, devad?: number): void;
  address(bus: string, addr: number, devad: number, reg: number): void;
}

export interface VerifyOptions {
  /**
   * `absolute`: the model's clock follows the recorded virtual times (our traces, recorded from t = 0).
   * `first-record`: times count from the first record (imported kernel traces, whose clock starts at boot).
   */
  timeBase?: 'absolute' | 'first-record';
  /** Trace bus name -> model bus name; see `mapBuses` for the default. */
  busMap?: ReadonlyMap<string, string>;
}

export interface Difference {
  /** 0-based record index. */
  index: number;
  record: TraceRecord;
  got: number;
  gotResult: TraceResult;
}

export interface VerifyReport {
  checked: number;
  reads: number;
  differences: Difference[];
  busMap: Map<string, string>;
}

/**
 * Replays every recorded request against the model in order, advancing its clock to each record's time,
 * and lists every read whose value (or whether anyone answered) differs from the recording.
 */
export function verifyTrace(
  records: readonly TraceRecord[],
  target: VerifyTarget,
  options: VerifyOptions = {},
): VerifyReport {
  const busMap = options.busMap ? new Map(options.busMap) : mapBuses(records, target.buses);
  const t0 = options.timeBase === 'first-record' ? (records[0]?.vtNs ?? 0) : 0;
  const differences: Difference[] = [];
  let reads = 0;
  for (const [i, r] of records.entries()) {
    const bus = busMap.get(r.bus);
    if (bus === undefined) throw new Error(`no model bus for trace bus ${r.bus}`);
    target.advanceTo(r.vtNs - t0);
    if (r.result === 'error') continue;
    if (r.op === 'read') {
      reads++;
      const got = target.read(bus, r.addr, r.reg, r.devad);
      if (got.value !== r.value || (got.result === 'no-response') !== (r.result === 'no-response')) {
        differences.push({ index: i, record: r, got: got.value, gotResult: got.result });
      }
    } else if (r.op === 'write') target.write(bus, r.addr, r.reg, r.value, r.devad);
    else target.address(bus, r.addr, r.devad ?? 0, r.reg);
  }
  return { checked: records.length, reads, differences, busMap };
}

/**
 * Trace bus names to model bus names: equal names pair up; the rest pair in order of first appearance
 * (a kernel trace says `mdio-mvusb-1-1:1.0` where the model says `/…/mdio@5`); with one model bus
 * every trace bus maps to it.
 */
export function mapBuses(
  records: readonly TraceRecord[],
  modelBuses: readonly string[],
): Map<string, string> {
  const seen: string[] = [];
  const seenSet = new Set<string>();
  for (const r of records) {
    if (!seenSet.has(r.bus)) {
      seenSet.add(r.bus);
      seen.push(r.bus);
    }
  }
  const out = new Map<string, string>();
  const free = modelBuses.filter((b) => !seenSet.has(b));
  for (const name of seen) {
    if (modelBuses.includes(name)) out.set(name, name);
    else if (modelBuses.length === 1 && modelBuses[0] !== undefined) out.set(name, modelBuses[0]);
    else {
      const next = free.shift();
      if (next === undefined)
        throw new Error(
          `the trace uses more buses (${seen.join(', ')}) than the model has (${modelBuses.join(', ')})`,
        );
      out.set(name, next);
    }
  }
  return out;
}

export function formatDifference(d: Difference): string {
  const r = d.record;
  const where = r.line !== undefined ? `line ${r.line}` : `record ${d.index + 1}`;
  const got = `0x${d.got.toString(16).padStart(4, '0')}${d.gotResult === 'no-response' ? ' (no response)' : ''}`;
  return `${where}: ${describeRecord(r)} recorded, model answered ${got} at ${(r.vtNs / 1e6).toFixed(3)} ms`;
}
