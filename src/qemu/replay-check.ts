import type { DeviceTree } from '../dts/tree.js';
import { boardVerifyTarget, type PhyHardwareEvent } from '../board/verify-target.js';
import { formatDifference, importMdioAccess, verifyTrace } from '../replay/index.js';

/** One MDIO transaction as the emulator served it. */
export interface ServedAccess {
  /** DT path of the bus that carried it. */
  bus: string;
  op: 'read' | 'write';
  addr: number;
  reg: number;
  value: number;
  /** Board clock, ns. */
  atNs: number;
}

export interface GuestReplayResult {
  /** Records replayed (reads and writes). */
  checked: number;
  reads: number;
  /** Each differing read, as src/replay formats it. */
  differences: string[];
  /** Guest bus name → model bus (DT path). */
  busMap: Record<string, string>;
  /** Whose clock timed the replay: the emulator's (traces aligned) or the guest's. */
  timing: 'emulator' | 'guest';
}

/**
 * Replays the guest's `mdio:mdio_access` trace (raw ftrace lines) against a fresh board of the same tree
 * (src/board/verify-target.ts), applying the run's non-MDIO PHY events (reset pin pulses, cable changes) at
 * the times they happened.
 *
 * Time: the served models ran on the board clock. When the guest's trace and the emulator's agree
 * transaction for transaction, each guest record takes the time its twin was served at; otherwise guest
 * times are used, shifted so the first record falls where the emulator's first access did.
 */
export function verifyGuestTrace(
  tree: DeviceTree,
  traceLines: readonly string[],
  served: readonly ServedAccess[],
  events: readonly PhyHardwareEvent[],
): GuestReplayResult {
  const { records } = importMdioAccess(traceLines.join('\n'));
  const aligned =
    records.length === served.length &&
    records.every((r, i) => {
      const s = served[i];
      return s !== undefined && s.op === r.op && s.addr === r.addr && s.reg === r.reg && s.value === r.value;
    });
  const busMap = pairBuses(records, served);
  // Several buses interleave differently in the two traces; bus by bus they may still agree, and then each
  // record takes its twin's time on that bus.
  const perBus = aligned || !busMap ? undefined : twinTimes(records, served, busMap);
  const t0 = records[0]?.vtNs ?? 0;
  const offset = served[0]?.atNs ?? 0;
  const timed = records.map((r, i) => ({
    ...r,
    vtNs: aligned ? (served[i]?.atNs ?? 0) : (perBus?.[i] ?? r.vtNs - t0 + offset),
  }));
  const report = verifyTrace(timed, boardVerifyTarget(tree, { events, allOnesIsNoResponse: true }), {
    timeBase: 'absolute',
    ...(busMap ? { busMap } : {}),
  });
  return {
    checked: report.checked,
    reads: report.reads,
    differences: report.differences.map(formatDifference),
    busMap: Object.fromEntries(report.busMap),
    timing: aligned || perBus ? 'emulator' : 'guest',
  };
}

/**
 * Guest bus names (`usb-001:004`) to the emulator's buses (DT paths) by what each carried: a guest bus pairs
 * with the served bus whose first transactions are the same. Several buses probe at once and in an order that
 * differs between kernels, so the order of first appearance (replay's default) can pair them wrongly.
 * Undefined when some guest bus has no twin: replay's default then applies.
 */
function pairBuses(
  records: readonly { bus: string; op: string; addr: number; reg: number; value: number }[],
  served: readonly ServedAccess[],
): Map<string, string> | undefined {
  const N = 8;
  const signatures = <T extends { op: string; addr: number; reg: number; value: number }>(
    list: readonly T[],
    busOf: (x: T) => string,
  ): Map<string, string> => {
    const out = new Map<string, string[]>();
    for (const x of list) {
      const sig = out.get(busOf(x)) ?? [];
      if (sig.length < N) sig.push(`${x.op} ${x.addr} ${x.reg} ${x.value}`);
      out.set(busOf(x), sig);
    }
    return new Map([...out].map(([bus, sig]) => [bus, sig.join(';')]));
  };
  const guest = signatures(records, (r) => r.bus);
  const emulator = signatures(served, (a) => a.bus);
  if (guest.size < 2) return undefined;
  const map = new Map<string, string>();
  const taken = new Set<string>();
  for (const [bus, sig] of guest) {
    const twin = [...emulator].find(([path, s]) => s === sig && !taken.has(path))?.[0];
    if (twin === undefined) return undefined;
    map.set(bus, twin);
    taken.add(twin);
  }
  return map;
}

/** Each guest record's emulator time when, bus by bus, the two traces agree transaction for transaction. */
function twinTimes(
  records: readonly { bus: string; op: string; addr: number; reg: number; value: number }[],
  served: readonly ServedAccess[],
  busMap: ReadonlyMap<string, string>,
): number[] | undefined {
  const queues = new Map<string, ServedAccess[]>();
  for (const a of served) queues.set(a.bus, [...(queues.get(a.bus) ?? []), a]);
  const next = new Map<string, number>();
  const times: number[] = [];
  for (const r of records) {
    const bus = busMap.get(r.bus);
    if (bus === undefined) return undefined;
    const i = next.get(bus) ?? 0;
    const s = queues.get(bus)?.[i];
    if (!s || s.op !== r.op || s.addr !== r.addr || s.reg !== r.reg || s.value !== r.value) return undefined;
    next.set(bus, i + 1);
    times.push(s.atNs);
  }
  return [...next].every(([bus, n]) => n === queues.get(bus)?.length) ? times : undefined;
}
