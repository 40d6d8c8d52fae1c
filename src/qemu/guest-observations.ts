import type { AgentBlock } from './console.js';

/** Parsed forms of the guest's marker payloads (see guest-init-lib.sh for what prints them). */

export interface DeferredDevice {
  name: string;
  ofNode: string;
  reason: string;
}
export interface MdioDevice {
  name: string;
  phyId: number | undefined;
  ofNode: string;
  driver: string;
}
export interface BoundDevice {
  bus: string;
  name: string;
  ofNode: string;
  driver: string;
}
export interface Snapshot {
  label: string;
  /** Step index for a snapshot step. */
  index: number | undefined;
  deferred: DeferredDevice[];
  mdio: MdioDevice[];
  devices: BoundDevice[];
}

/** `key=value` fields; the last field may contain spaces (driver names such as "Marvell 88E1510"). */
function fields(line: string, keys: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? '';
    const start = line.indexOf(`${key}=`);
    if (start < 0) continue;
    const next = keys[i + 1];
    const end = next === undefined ? line.length : line.indexOf(` ${next}=`, start);
    out.set(key, line.slice(start + key.length + 1, end < 0 ? line.length : end).trim());
  }
  return out;
}

export function parseSnapshot(e: AgentBlock): Snapshot {
  const s: Snapshot = {
    label: typeof e.fields.label === 'string' ? e.fields.label : '',
    index: typeof e.fields.index === 'number' ? e.fields.index : undefined,
    deferred: [],
    mdio: [],
    devices: [],
  };
  for (const line of e.lines) {
    if (line.startsWith('deferred ')) {
      const f = fields(line, ['name', 'of_node', 'reason']);
      s.deferred.push({
        name: f.get('name') ?? '',
        ofNode: f.get('of_node') ?? '',
        reason: f.get('reason') ?? '',
      });
    } else if (line.startsWith('mdio ')) {
      const f = fields(line, ['name', 'phy_id', 'of_node', 'driver']);
      const id = f.get('phy_id') ?? '';
      s.mdio.push({
        name: f.get('name') ?? '',
        phyId: /^0x[0-9a-f]+$/i.test(id) ? Number.parseInt(id.slice(2), 16) : undefined,
        ofNode: f.get('of_node') ?? '',
        driver: f.get('driver') ?? '',
      });
    } else if (line.startsWith('device ')) {
      const f = fields(line, ['bus', 'name', 'of_node', 'driver']);
      s.devices.push({
        bus: f.get('bus') ?? '',
        name: f.get('name') ?? '',
        ofNode: f.get('of_node') ?? '',
        driver: f.get('driver') ?? '',
      });
    }
  }
  return s;
}

/** One line of the guest's ftrace buffer that mdio-emu cares about. */
export type GuestTraceEntry =
  | { kind: 'mdio'; ts: number; bus: string; op: 'read' | 'write'; addr: number; reg: number; value: number }
  | { kind: 'marker'; ts: number; text: string }
  | { kind: 'module-load'; ts: number; module: string };

// include/trace/events/mdio.h: "%10s %-5s phy:0x%02hhx reg:0x%02x val:0x%04hx"
const mdioAccess =
  /\s(\d+\.\d+):\s+mdio_access:\s+(\S+)\s+(read|write)\s+phy:0x([0-9a-f]+)\s+reg:0x([0-9a-f]+)\s+val:0x([0-9a-f]+)/i;
const traceMarker = /\s(\d+\.\d+):\s+tracing_mark_write:\s+(.*)$/;
const moduleLoad = /\s(\d+\.\d+):\s+module_load:\s+(\S+)/;

/** Parses `cat /sys/kernel/tracing/trace` lines; timestamps are seconds of the kernel's trace clock. */
export function parseGuestTrace(lines: readonly string[]): GuestTraceEntry[] {
  const out: GuestTraceEntry[] = [];
  for (const line of lines) {
    let m = mdioAccess.exec(line);
    if (m) {
      out.push({
        kind: 'mdio',
        ts: Number(m[1]),
        bus: m[2] ?? '',
        op: m[3] === 'read' ? 'read' : 'write',
        addr: Number.parseInt(m[4] ?? '0', 16),
        reg: Number.parseInt(m[5] ?? '0', 16),
        value: Number.parseInt(m[6] ?? '0', 16),
      });
      continue;
    }
    m = traceMarker.exec(line);
    if (m) {
      out.push({ kind: 'marker', ts: Number(m[1]), text: (m[2] ?? '').trim() });
      continue;
    }
    m = moduleLoad.exec(line);
    if (m) out.push({ kind: 'module-load', ts: Number(m[1]), module: m[2] ?? '' });
  }
  return out;
}

/** `hexdump` lines of an EEPROM read back into bytes. */
export function parseHexLines(lines: readonly string[]): Uint8Array {
  const hex = lines
    .filter((l) => l.startsWith('hex '))
    .map((l) => l.slice(4).trim())
    .join('');
  return Uint8Array.from(hex.match(/[0-9a-f]{2}/gi) ?? [], (h) => Number.parseInt(h, 16));
}

/** A guest command's result (`run_logged` in guest-agent.sh: a `command` block with `cmd `/`out ` lines). */
export interface CommandResult {
  index: number;
  rc: number;
  command: string;
  output: string[];
}

export function parseCommand(e: AgentBlock): CommandResult {
  return {
    index: Number(e.fields.index),
    rc: typeof e.fields.rc === 'number' ? e.fields.rc : Number.NaN,
    command: e.lines
      .filter((l) => l.startsWith('cmd '))
      .map((l) => l.slice(4))
      .join('\n'),
    output: e.lines.filter((l) => l.startsWith('out ')).map((l) => l.slice(4)),
  };
}
