import type { GuestEvent } from '../scenario/events.js';
import type { KernelReportKind } from '../scenario/types.js';

/** One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg): level, sequence, timestamp, text, dictionary. */
export interface KmsgRecord {
  level: number;
  seq: number;
  /** Microseconds since boot (the kernel's local clock, which printk and ftrace share). */
  tsUs: number;
  text: string;
  /** `SUBSYSTEM=usb`, `DEVICE=+usb:1-1:1.0`: the device a dev_printk() names. */
  dict: Map<string, string>;
}

/** The agent's own lines (src/qemu/guest-agent.sh `log`), read back from the kernel log. */
export type AgentLine =
  | { kind: 'tick' }
  | { kind: 'up' }
  | { kind: 'done' }
  | { kind: 'step'; step: number; phase: 'start' }
  | { kind: 'step'; step: number; phase: 'done'; rc: number };

export interface ClassifiedRecord {
  agent?: AgentLine;
  events: GuestEvent[];
}

interface OpenReport {
  report: KernelReportKind;
  title: string;
  function?: string;
  frames: string[];
  fatal: boolean;
  inTrace: boolean;
  /** Frames are taken from the first call trace only (a KASAN report has three: access, alloc, free). */
  traceDone: boolean;
  startUs: number;
}

/**
 * A frame as arm64 prints it: `  func+0x48/0x50 [module]`; older kernels put `[<ffff...>]` in front, newer ones
 * mark where the address came from with ` (P)` or ` (L)` after it.
 */
const FRAME =
  /^\s*(?:\[<[0-9a-f]+>\]\s*)?([A-Za-z0-9_.$]+)\+0x[0-9a-f]+\/0x[0-9a-f]+(?:\s+\[[\w-]+\])?(?:\s+\([A-Z]\))?\s*$/;
/** 6.1: `WARNING: CPU: 0 PID: 5 at drivers/regulator/core.c:2280 _regulator_put+0x48/0x50`. */
const WARN_OLD = /^WARNING: CPU: \d+ PID: \d+ at (\S+):(\d+) ([A-Za-z0-9_.]+)\+0x/;
/** 6.19 and later: `WARNING: drivers/regulator/core.c:2675 at _regulator_put+0x48/0x50, CPU#0: kworker/0:1/25`. */
const WARN_NEW = /^WARNING: (\S+):(\d+) at ([A-Za-z0-9_.]+)\+0x/;
const KASAN = /^BUG: KASAN: ([\w-]+) in ([A-Za-z0-9_.]+)\+0x/;
const LOCKDEP =
  /^WARNING: (possible circular locking dependency detected|possible recursive locking detected|inconsistent lock state|suspicious RCU usage|held lock freed!)/;
const HUNG = /^INFO: task (\S+) blocked for more than \d+ seconds/;
const OOPS = /^(Unable to handle kernel (?:paging request|NULL pointer dereference)|Internal error: Oops)/;
const BUG = /^(kernel BUG at \S+|BUG: (?!KASAN)[^\n]+)/;
const PANIC = /^Kernel panic - not syncing: (.*)$/;
const END = /^---\[ end (trace|Kernel panic)/;
/**
 * drivers/base/dd.c (dynamic debug): dev_dbg(dev, "Driver %s requests probe deferral"), which dev_printk
 * prefixes with the driver's and the device's names: `mvusb_mdio 1-1:1.0: Driver mvusb_mdio requests ...`.
 */
const DEFERRAL = /^(?:\S+ (\S+): )?Driver (.+) requests probe deferral$/;

/**
 * Turns the guest kernel's log into the run's events: the agent's own lines (steps, heartbeat, uevents), probe
 * deferrals (drivers/base/dd.c dynamic debug, with the device from the record's DEVICE), and kernel reports —
 * a WARN, an Oops, a BUG, KASAN, lockdep, a hung task, a panic — matched by what they are, not by one kernel
 * version's wording, each with its function and first frames.
 */
export class KernelLogReader {
  /** Sysfs device (`usb:1-1:1.0`, `mdio_bus:...`) to its devpath, and devpath to DT node, from uevents. */
  readonly #devpath = new Map<string, string>();
  readonly #node = new Map<string, string>();
  #open: OpenReport | undefined;

  /** The DT node of a device named `subsystem:name`, or of its USB device for a USB interface. */
  nodeOf(subsystem: string, name: string): string | undefined {
    const devpath = this.#devpath.get(`${subsystem}:${name}`);
    if (devpath === undefined) return undefined;
    return this.#node.get(devpath) ?? (subsystem === 'usb' ? this.#node.get(parentOf(devpath)) : undefined);
  }

  push(r: KmsgRecord): ClassifiedRecord {
    const events: GuestEvent[] = [];
    const text = r.text;
    if (text.startsWith('mdio-emu: ')) return this.#agent(text.slice('mdio-emu: '.length), events);
    this.#report(r, events);
    const device = r.dict.get('DEVICE');
    const node = device ? this.#deviceNode(device) : undefined;
    const m = DEFERRAL.exec(text);
    if (m) {
      const name = device?.replace(/^\+[^:]+:/, '') ?? m[1] ?? '';
      events.push({ type: 'guest.deferred', name, driver: m[2] ?? '', ...(node ? { node } : {}) });
    }
    events.push({ type: 'guest.log', level: r.level, text, ...(node ? { node } : {}) });
    return { events };
  }

  /** The end of the log (the guest stopped): a report still open is complete as far as it got. */
  flush(): GuestEvent[] {
    const events: GuestEvent[] = [];
    this.#close(events);
    return events;
  }

  #agent(line: string, events: GuestEvent[]): ClassifiedRecord {
    if (line === 'tick') return { agent: { kind: 'tick' }, events };
    if (line === 'up') return { agent: { kind: 'up' }, events };
    if (line === 'done') return { agent: { kind: 'done' }, events };
    const step = /^step (\d+) (start|done(?: rc=(\d+))?)$/.exec(line);
    if (step)
      return {
        agent:
          step[2] === 'start'
            ? { kind: 'step', step: Number(step[1]), phase: 'start' }
            : { kind: 'step', step: Number(step[1]), phase: 'done', rc: Number(step[3] ?? 0) },
        events,
      };
    if (line.startsWith('uevent|')) this.#uevent(line, events);
    return { events };
  }

  /** `uevent|ACTION|SUBSYSTEM|DEVPATH|DEVTYPE|OF_FULLNAME|PHY_ID|INTERFACE|DRIVER` (the driver may have spaces). */
  #uevent(line: string, events: GuestEvent[]): void {
    const f = line.split('|');
    const [, action, subsystem, devpath, , ofName, phyId] = f;
    const driver = f.slice(8).join('|');
    if (!action || !subsystem || !devpath) return;
    const name = devpath.slice(devpath.lastIndexOf('/') + 1);
    this.#devpath.set(`${subsystem}:${name}`, devpath);
    if (ofName) this.#node.set(devpath, ofName);
    if (action !== 'add' && action !== 'remove' && action !== 'bind' && action !== 'unbind') return;
    const node = ofName || (subsystem === 'usb' ? this.#node.get(parentOf(devpath)) : undefined);
    const id = phyId && /^0x[0-9a-f]+$/i.test(phyId) ? Number.parseInt(phyId.slice(2), 16) : undefined;
    events.push({
      type: 'guest.device',
      action,
      subsystem,
      name,
      ...(node ? { node } : {}),
      ...(driver ? { driver } : {}),
      ...(id === undefined ? {} : { phyId: id }),
    });
  }

  /** `+usb:1-1:1.0` (a device), `c189:1` / `b8:0` (char/block numbers) or `n2` (a netdev index). */
  #deviceNode(device: string): string | undefined {
    const m = /^\+([^:]+):(.+)$/.exec(device);
    return m ? this.nodeOf(m[1] ?? '', m[2] ?? '') : undefined;
  }

  #report(r: KmsgRecord, events: GuestEvent[]): void {
    const text = r.text;
    const open = this.#open;
    if (open) {
      if (END.test(text) || /^={20,}$/.test(text)) {
        // KASAN frames its report with lines of '='; the first one opens it (the title follows).
        if (!/^={20,}$/.test(text) || open.traceDone || open.frames.length > 0) this.#close(events);
        return;
      }
      if (/^Call trace:|^Call Trace:/.test(text)) {
        if (!open.traceDone) open.inTrace = true;
        return;
      }
      const frame = FRAME.exec(text);
      if (open.inTrace && frame) {
        open.frames.push(frame[1] ?? '');
        return;
      }
      if (open.inTrace) {
        open.inTrace = false;
        open.traceDone = true;
      }
      // A new report starts: the open one is as complete as it will get. (An arm64 Oops prints two
      // headers, "Unable to handle ..." then "Internal error: Oops": one report.)
      const next = startOf(text);
      if (!next || (next.report === 'oops' && open.report === 'oops')) return;
      this.#close(events);
    }
    const start = startOf(text);
    if (start) this.#open = { ...start, frames: [], inTrace: false, traceDone: false, startUs: r.tsUs };
  }

  #close(events: GuestEvent[]): void {
    const o = this.#open;
    if (!o) return;
    this.#open = undefined;
    events.push({
      type: 'guest.report',
      report: o.report,
      title: o.title,
      ...(o.function === undefined ? {} : { function: o.function }),
      frames: o.frames,
      fatal: o.fatal,
    });
  }
}

function startOf(text: string): Pick<OpenReport, 'report' | 'title' | 'function' | 'fatal'> | undefined {
  let m = LOCKDEP.exec(text);
  if (m) return { report: 'lockdep', title: `lockdep: ${m[1] ?? ''}`, fatal: false };
  m = WARN_OLD.exec(text) ?? WARN_NEW.exec(text);
  if (m)
    return {
      report: 'warning',
      title: `WARN in ${m[3] ?? ''} (${m[1] ?? ''}:${m[2] ?? ''})`,
      function: m[3] ?? '',
      fatal: false,
    };
  m = KASAN.exec(text);
  if (m)
    return {
      report: 'kasan',
      title: `KASAN: ${m[1] ?? ''} in ${m[2] ?? ''}`,
      function: m[2] ?? '',
      fatal: true,
    };
  m = HUNG.exec(text);
  if (m) return { report: 'hung-task', title: `hung task ${m[1] ?? ''}`, fatal: true };
  m = OOPS.exec(text);
  if (m) return { report: 'oops', title: text, fatal: true };
  m = PANIC.exec(text);
  if (m) return { report: 'panic', title: `panic: ${m[1] ?? ''}`, fatal: true };
  m = BUG.exec(text);
  if (m) return { report: 'bug', title: m[1] ?? text, fatal: true };
  return undefined;
}

function parentOf(devpath: string): string {
  return devpath.slice(0, devpath.lastIndexOf('/'));
}

/** `6,123,4567890,-;text` (Documentation/ABI/testing/dev-kmsg), or undefined for any other line. */
export function parseKmsgLine(line: string): Omit<KmsgRecord, 'dict'> | undefined {
  const m = /^(\d+),(\d+),(\d+),[-c+][^;]*;(.*)$/.exec(line);
  if (!m) return undefined;
  return {
    level: Number(m[1]) & 7,
    seq: Number(m[2]),
    tsUs: Number(m[3]),
    // /dev/kmsg escapes non-printable bytes as \xNN.
    text: (m[4] ?? '').replace(/\\x([0-9a-f]{2})/g, (_, h: string) =>
      String.fromCharCode(Number.parseInt(h, 16)),
    ),
  };
}
