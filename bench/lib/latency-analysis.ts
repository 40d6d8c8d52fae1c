/**
 * Turns one latency-bench boot (bench/lib/qemu-rig.ts) into numbers: the guest-visible time of an MDIO read
 * and of an SMBus byte read per device, and, with --breakdown, where each of those microseconds went.
 *
 * Three clocks meet here. The guest's ftrace clock (sched_clock: QEMU's virtual counter, which under TCG
 * without icount follows the host's monotonic clock) stamps the driver's view: urb submitted, doorbell
 * written, xHCI interrupt entered, urb given back, mdio_access/i2c_result traced. QEMU's pcap stamps, with
 * the host's wall clock, the moment usb-redir receives each packet from the xHCI ('S') and completes it
 * ('C'). The emulator stamps, on the same wall clock, when a packet's bytes arrived and when its reply's
 * write returned. Host records match by usbredir packet id; guest transfers match host ones by their order
 * on the device (the drivers keep one transfer in flight, so the orders agree) and their endpoint.
 *
 * The guest clock is put on the host's by the doorbell: the MMIO write traps into QEMU, which runs the
 * xHCI and usb-redir up to the 'S' record synchronously in the vCPU thread, so S - doorbell is QEMU's
 * work plus an offset. The offset is the lower envelope of S - doorbell (minimum per window of the run,
 * fitted by least squares to absorb drift), so "guest -> QEMU" is measured from the fastest doorbell of
 * its window, and is by construction an underestimate by that fastest doorbell's own few µs; every
 * other leg is exact on its own clock.
 */
import type { UsbmonRecord } from '../../src/usbredir/usbmon-pcap.js';
import type { EmulatorStamp } from './qemu-rig.js';
import { summary, type Summary } from './stats.js';

/** One line of the guest's trace buffer. `ts` in µs of the guest's trace clock. */
export interface FtraceEvent {
  readonly ts: number;
  readonly name: string;
  readonly body: string;
}

const FTRACE_LINE = /^\s*.+?-\d+\s+\[\d+\]\s+(?:\S+\s+)?(\d+)\.(\d{6}):\s+([\w:]+):\s?(.*)$/;

/** Parses `comm-pid [cpu] flags secs.usecs: event: text` lines (Documentation/trace/ftrace.rst). */
export function parseFtrace(lines: readonly string[]): FtraceEvent[] {
  const out: FtraceEvent[] = [];
  for (const line of lines) {
    const m = FTRACE_LINE.exec(line);
    if (!m) continue;
    out.push({ ts: Number(m[1]) * 1e6 + Number(m[2]), name: m[3] ?? '', body: (m[4] ?? '').trimEnd() });
  }
  return out;
}

export interface GuestReport {
  readonly events: FtraceEvent[];
  /** PHY device name (`mvusb-1-1:1.0:00`) → DT path of its adapter node. */
  readonly phys: Map<string, string>;
  /** I2C adapter number → DT path of its USB device node. */
  readonly adapters: Map<number, string>;
}

/** The `@@bench` lines of the console: the device map and the trace between `trace` and `end`. */
export function parseBenchConsole(text: string): GuestReport {
  const phys = new Map<string, string>();
  const adapters = new Map<number, string>();
  const trace: string[] = [];
  let inTrace = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const at = line.indexOf('@@bench ');
    if (at >= 0) {
      const [kind, name, of] = line.slice(at + 8).split(' ');
      if (kind === 'trace') inTrace = true;
      else if (kind === 'end') inTrace = false;
      else if (kind === 'phy' && name && of) phys.set(name, of.slice(0, of.lastIndexOf('/')));
      else if (kind === 'i2c' && name && of?.endsWith('/interface@1,1'))
        adapters.set(Number(name.replace('i2c-', '')), of.slice(0, of.lastIndexOf('/')));
      continue;
    }
    if (inTrace) trace.push(line);
  }
  return { events: parseFtrace(trace), phys, adapters };
}

/** A timed operation on one device: from the guest event before it to the one that ends it. */
export interface Operation {
  readonly device: string;
  readonly start: number;
  readonly end: number;
}

function afterMarker(events: readonly FtraceEvent[]): FtraceEvent[] {
  const i = events.findIndex((e) => e.name === 'tracing_mark_write' && e.body.startsWith('bench start'));
  return i < 0 ? [] : events.slice(i + 1);
}

const MDIO_ACCESS = /^(\S+) (read|write)\s+phy:0x([0-9a-f]+) reg:0x([0-9a-f]+) val:0x([0-9a-f]+)/;

/**
 * MDIO reads timed on the guest's clock: phy_probe() -> marvell_config_intr() writes register 0x12 and
 * reads 0x13 straight after (drivers/net/phy/marvell.c), so each read's time is the gap between the two
 * mdio_access events, which are traced when a transaction completes.
 */
export function mdioReads(report: GuestReport): Operation[] {
  const last = new Map<string, { reg: number; write: boolean; ts: number }>();
  const out: Operation[] = [];
  for (const e of afterMarker(report.events)) {
    if (e.name !== 'mdio_access') continue;
    const m = MDIO_ACCESS.exec(e.body);
    if (!m) continue;
    const bus = m[1] ?? '';
    const write = m[2] === 'write';
    const reg = Number.parseInt(m[4] ?? '', 16);
    const prev = last.get(bus);
    const device = report.phys.get(`${bus}:00`);
    if (prev?.write && prev.reg === 0x12 && !write && reg === 0x13 && device)
      out.push({ device, start: prev.ts, end: e.ts });
    last.set(bus, { reg, write, ts: e.ts });
  }
  return out;
}

const I2C_EVENT = /^i2c-(\d+) (?:#(\d+)|n=)/;

/**
 * SMBus byte reads timed on the guest's clock: __i2c_transfer() traces i2c_write for the first message
 * before calling the adapter and i2c_result after it returns (drivers/i2c/i2c-core-base.c), so the span
 * is the CP2615 driver's whole transfer (two IOP exchanges), without at24's and nvmem's own overhead.
 */
export function smbusReads(report: GuestReport): Operation[] {
  const open = new Map<number, number>();
  const out: Operation[] = [];
  for (const e of afterMarker(report.events)) {
    const m = I2C_EVENT.exec(e.body);
    if (!m) continue;
    const adapter = Number(m[1]);
    if (e.name === 'i2c_write' && m[2] === '0') open.set(adapter, e.ts);
    if (e.name === 'i2c_result') {
      const start = open.get(adapter);
      const device = report.adapters.get(adapter);
      if (start !== undefined && device) out.push({ device, start, end: e.ts });
      open.delete(adapter);
    }
  }
  return out;
}

/** One bulk transfer as the guest's xHCI driver saw it (guest clock, µs). */
export interface GuestTransfer {
  readonly slot: number;
  /** Endpoint address: number, bit 7 for IN. */
  readonly endpoint: number;
  readonly enqueue: number;
  readonly doorbell: number;
  readonly irq: number;
  readonly giveback: number;
}

const URB = /^ep(\d+)(in|out)-bulk: urb \S+ pipe \d+ slot (\d+)/;
const DOORBELL = /^Ring doorbell for Slot (\d+) ep(\d+)(in|out)/;

/** The guest's bulk transfers, from xhci_urb_enqueue to xhci_urb_giveback of the same urb. */
export function guestTransfers(events: readonly FtraceEvent[]): GuestTransfer[] {
  const open = new Map<string, { slot: number; endpoint: number; enqueue: number; doorbell: number }>();
  let lastIrq = NaN;
  const out: GuestTransfer[] = [];
  for (const e of events) {
    if (e.name === 'irq_handler_entry') lastIrq = e.ts;
    else if (e.name === 'xhci_urb_enqueue' || e.name === 'xhci_urb_giveback') {
      const m = URB.exec(e.body);
      if (!m) continue;
      // %p prints hashed (or "(____ptrval____)" before the hash key is ready), so urbs are told apart by slot
      // and endpoint: the drivers here keep at most one urb in flight per endpoint.
      const endpoint = Number(m[1]) | (m[2] === 'in' ? 0x80 : 0);
      const key = `${m[3] ?? ''} ${endpoint}`;
      if (e.name === 'xhci_urb_enqueue') {
        open.set(key, { slot: Number(m[3]), endpoint, enqueue: e.ts, doorbell: NaN });
      } else {
        const t = open.get(key);
        open.delete(key);
        if (t) out.push({ ...t, irq: lastIrq >= t.doorbell ? lastIrq : NaN, giveback: e.ts });
      }
    } else if (e.name === 'xhci_ring_ep_doorbell') {
      const m = DOORBELL.exec(e.body);
      if (!m) continue;
      const slot = Number(m[1]);
      const endpoint = Number(m[2]) | (m[3] === 'in' ? 0x80 : 0);
      for (const t of open.values()) {
        if (t.slot === slot && t.endpoint === endpoint && Number.isNaN(t.doorbell)) t.doorbell = e.ts;
      }
    }
  }
  return out.sort((a, b) => a.enqueue - b.enqueue);
}

/** Which xHCI slot serves which device: the slot of the transfer completed last before its operations end. */
export function slotsOfDevices(
  transfers: readonly GuestTransfer[],
  ops: readonly Operation[],
): Map<string, number> {
  const votes = new Map<string, Map<number, number>>();
  let i = 0;
  const sortedOps = [...ops].sort((a, b) => a.end - b.end);
  const byGiveback = [...transfers].sort((a, b) => a.giveback - b.giveback);
  for (const op of sortedOps) {
    while (i + 1 < byGiveback.length && (byGiveback[i + 1]?.giveback ?? Infinity) <= op.end) i++;
    const t = byGiveback[i];
    if (!t || t.giveback > op.end) continue;
    const v = votes.get(op.device) ?? new Map<number, number>();
    v.set(t.slot, (v.get(t.slot) ?? 0) + 1);
    votes.set(op.device, v);
  }
  const out = new Map<string, number>();
  for (const [device, v] of votes) {
    const best = [...v].sort((a, b) => b[1] - a[1])[0];
    if (best) out.set(device, best[0]);
  }
  return out;
}

/** A guest transfer with the host's view of it (host wall clock, µs). */
export interface Timeline extends GuestTransfer {
  readonly submitted: number;
  readonly received: number;
  readonly answered: number;
  readonly completed: number;
}

export interface DeviceTimeline {
  readonly transfers: Timeline[];
  /** Why the three views could not be matched, if they could not. */
  readonly problem?: string;
}

/** Matches one device's guest transfers, pcap records and emulator stamps, in order. */
export function deviceTimeline(
  guest: readonly GuestTransfer[],
  pcap: readonly UsbmonRecord[],
  stamps: readonly EmulatorStamp[],
): DeviceTimeline {
  const submits = pcap.filter((r) => r.xferType === 3 && r.type === 'S');
  const completes = new Map<bigint, UsbmonRecord[]>();
  for (const r of pcap) {
    if (r.xferType !== 3 || r.type !== 'C') continue;
    completes.set(r.id, [...(completes.get(r.id) ?? []), r]);
  }
  const rx = stamps.filter((s) => s.dir === 'rx');
  const tx = new Map<bigint, EmulatorStamp[]>();
  for (const s of stamps) if (s.dir === 'tx') tx.set(s.id, [...(tx.get(s.id) ?? []), s]);
  if (submits.length !== guest.length || rx.length !== guest.length) {
    return {
      transfers: [],
      problem: `guest ${guest.length} bulk transfers, QEMU ${submits.length}, emulator ${rx.length}`,
    };
  }
  const out: Timeline[] = [];
  for (const [k, g] of guest.entries()) {
    const s = submits[k];
    const r = rx[k];
    if (!s || !r || s.endpoint !== g.endpoint || r.id !== s.id) {
      return { transfers: [], problem: `transfer ${k}: endpoint or id mismatch` };
    }
    // Ids are TRB addresses, reused as the ring wraps: take the first answer and completion after receipt.
    const t = tx.get(s.id)?.find((x) => x.us >= r.us);
    const c = completes.get(s.id)?.find((x) => x.tsUs >= s.tsUs);
    if (!t || !c) return { transfers: [], problem: `transfer ${k}: no reply or completion for id ${s.id}` };
    out.push({ ...g, submitted: s.tsUs, received: r.us, answered: t.us, completed: c.tsUs });
  }
  return { transfers: out };
}

/**
 * guest clock → host wall clock: the lower envelope of (QEMU's 'S' − guest doorbell), one minimum per
 * window of the run, fitted as offset + drift · t.
 */
export function guestToHost(transfers: readonly Timeline[], windows = 10): (guestUs: number) => number {
  const pts = transfers
    .filter((t) => !Number.isNaN(t.doorbell))
    .map((t) => ({ g: t.doorbell, d: t.submitted - t.doorbell }))
    .sort((a, b) => a.g - b.g);
  if (pts.length === 0) return () => NaN;
  const size = Math.max(1, Math.ceil(pts.length / windows));
  const mins: { g: number; d: number }[] = [];
  for (let i = 0; i < pts.length; i += size) {
    const w = pts.slice(i, i + size);
    const best = w.reduce((a, b) => (b.d < a.d ? b : a));
    mins.push(best);
  }
  if (mins.length < 2) {
    const d = mins[0]?.d ?? 0;
    return (g) => g + d;
  }
  const n = mins.length;
  const mg = mins.reduce((s, p) => s + p.g, 0) / n;
  const md = mins.reduce((s, p) => s + p.d, 0) / n;
  const slope =
    mins.reduce((s, p) => s + (p.g - mg) * (p.d - md), 0) / mins.reduce((s, p) => s + (p.g - mg) ** 2, 0);
  // The fit runs through the minima; lower it to the lowest of them so no point ends up below it.
  const drop = Math.min(...mins.map((p) => p.d - (md + slope * (p.g - mg))));
  return (g) => g + md + slope * (g - mg) + drop;
}

/** The legs of the breakdown, in the order they happen. */
export const LEGS = [
  ['guestBefore', 'guest: previous access traced -> first urb submitted'],
  ['guestSubmit', 'guest: urb submitted -> doorbell written'],
  ['toQemu', 'guest doorbell -> QEMU usb-redir has the packet (pcap S)'],
  ['toEmulator', 'QEMU -> emulator: packet in the emulator'],
  ['emulator', 'emulator: bytes read -> reply handed to write()'],
  ['fromEmulator', 'emulator write() -> QEMU completes the packet (pcap C)'],
  ['toGuestIrq', 'QEMU completion -> guest xHCI interrupt handler'],
  ['guestIrq', 'guest: interrupt -> urb given back'],
  ['guestNext', 'guest: urb given back -> next urb submitted'],
  ['guestAfter', 'guest: last urb given back -> access traced'],
] as const;
export type Leg = (typeof LEGS)[number][0];

/** Per operation: the time in each leg, summed over its transfers, µs. */
export function breakdown(
  ops: readonly Operation[],
  transfers: readonly Timeline[],
  toHost: (g: number) => number,
): Record<Leg, number>[] {
  const out: Record<Leg, number>[] = [];
  for (const op of ops) {
    const ts = transfers.filter((t) => t.enqueue > op.start && t.giveback < op.end);
    if (ts.length === 0) continue;
    const legs: Record<Leg, number> = {
      guestBefore: (ts[0]?.enqueue ?? NaN) - op.start,
      guestSubmit: 0,
      toQemu: 0,
      toEmulator: 0,
      emulator: 0,
      fromEmulator: 0,
      toGuestIrq: 0,
      guestIrq: 0,
      guestNext: 0,
      guestAfter: op.end - (ts.at(-1)?.giveback ?? NaN),
    };
    for (const [i, t] of ts.entries()) {
      legs.guestSubmit += t.doorbell - t.enqueue;
      legs.toQemu += t.submitted - toHost(t.doorbell);
      legs.toEmulator += t.received - t.submitted;
      legs.emulator += t.answered - t.received;
      legs.fromEmulator += t.completed - t.answered;
      legs.toGuestIrq += toHost(t.irq) - t.completed;
      legs.guestIrq += t.giveback - t.irq;
      const next = ts[i + 1];
      if (next) legs.guestNext += next.enqueue - t.giveback;
    }
    out.push(legs);
  }
  return out;
}

export interface LegSummary {
  readonly leg: Leg;
  readonly label: string;
  readonly median: number;
  readonly mean: number;
}

export function summariseLegs(rows: readonly Record<Leg, number>[]): LegSummary[] {
  return LEGS.map(([leg, label]) => {
    const values = rows.map((r) => r[leg]).filter((v) => !Number.isNaN(v));
    const s: Summary = summary(values);
    const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
    return { leg, label, median: s.median, mean };
  });
}
