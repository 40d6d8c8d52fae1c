import { buildBoard, isHardwareAction, type Board, type HardwareAction } from '../board/index.js';
import { VirtualClock } from '../clock.js';
import type { DeviceTree } from '../dts/tree.js';
import type { I2cMessage } from '../i2c/index.js';
import type { FirmwareReport } from '../pse/index.js';

/**
 * The guest's side of the I2C comparison: its `smbus:*` trace events (include/trace/events/smbus.h, enabled
 * by guest-agent.sh), folded into one record per SMBus transfer and replayed against a fresh board of the
 * same tree, with the run's hardware actions (PDs coming and going, overloads) applied where they happened.
 * A chip model whose answers depend on anything but what the guest wrote and those actions shows here.
 */

/** One SMBus transfer as `__i2c_smbus_xfer()` traced it: smbus_write or smbus_read, then smbus_reply, smbus_result. */
export interface GuestSmbusTransfer {
  /** Guest trace clock, seconds. */
  ts: number;
  adapter: number;
  addr: number;
  op: 'read' | 'write';
  command: number;
  /** I2C_SMBUS_* name as the event prints it: `BYTE_DATA`, `WORD_DATA`, ... */
  protocol: string;
  /** The bytes the guest wrote (write), or the reply it got (read), as `union i2c_smbus_data` holds them. */
  data: number[];
  /** smbus_result's `res`: 0, or a negative errno. */
  res: number;
}

// "i2c-%d a=%03x f=%04x c=%x %s l=%u [%*phD]" (smbus_write, smbus_reply), without data for smbus_read,
// "... %s %s res=%d" (smbus_result: protocol, rd/wr).
const EVENT =
  /\s(\d+\.\d+):\s+(smbus_write|smbus_read|smbus_reply|smbus_result):\s+i2c-(\d+)\s+a=([0-9a-f]+)\s+f=[0-9a-f]+\s+c=([0-9a-f]+)\s+(\w+)(.*)$/i;
const DATA = /\sl=(\d+)\s+\[([0-9a-f-]*)\]/i;
const RESULT = /\s(rd|wr)\s+res=(-?\d+)/;

/** Folds raw ftrace lines into SMBus transfers (the adapter lock keeps one transfer's events together). */
export function parseSmbusTrace(lines: readonly string[]): GuestSmbusTransfer[] {
  const out: GuestSmbusTransfer[] = [];
  let open: GuestSmbusTransfer | undefined;
  for (const line of lines) {
    const m = EVENT.exec(line);
    if (!m) continue;
    const [, ts, event, adapter, addr, command, protocol, rest = ''] = m;
    const bytes = (): number[] => {
      const d = DATA.exec(rest);
      const hex = d?.[2] ?? '';
      return hex === '' ? [] : hex.split('-').map((h) => Number.parseInt(h, 16));
    };
    if (event === 'smbus_write' || event === 'smbus_read') {
      open = {
        ts: Number(ts),
        adapter: Number(adapter),
        addr: Number.parseInt(addr ?? '0', 16),
        op: event === 'smbus_write' ? 'write' : 'read',
        command: Number.parseInt(command ?? '0', 16),
        protocol: protocol ?? '',
        data: event === 'smbus_write' ? bytes() : [],
        res: 0,
      };
    } else if (event === 'smbus_reply' && open) {
      open.data = bytes();
    } else if (event === 'smbus_result' && open) {
      const r = RESULT.exec(rest);
      open.res = Number(r?.[2] ?? 0);
      out.push(open);
      open = undefined;
    }
  }
  return out;
}

/**
 * The I2C messages an SMBus transfer is on the wire (SMBus 3.1 section 6.5; drivers/i2c/i2c-core-smbus.c
 * i2c_smbus_xfer_emulated() builds the same ones), undefined for a protocol the replay does not know.
 */
export function smbusMessages(t: GuestSmbusTransfer): I2cMessage[] | undefined {
  const { addr, command: c } = t;
  const write = (...data: number[]): I2cMessage => ({ addr, kind: 'write', data: Uint8Array.from(data) });
  const read = (length: number): I2cMessage => ({ addr, kind: 'read', length });
  const reading = t.op === 'read';
  switch (t.protocol) {
    case 'QUICK':
      return reading ? [read(0)] : [write()];
    case 'BYTE':
      return reading ? [read(1)] : [write(c)];
    case 'BYTE_DATA':
      return reading ? [write(c), read(1)] : [write(c, t.data[0] ?? 0)];
    case 'WORD_DATA':
      return reading ? [write(c), read(2)] : [write(c, t.data[0] ?? 0, t.data[1] ?? 0)];
    case 'I2C_BLOCK_DATA':
      // union i2c_smbus_data: block[0] is the length, the bytes follow.
      return reading ? [write(c), read(t.data[0] ?? 0)] : [write(c, ...t.data.slice(1))];
    default:
      return undefined;
  }
}

/** What the emulator saw during a run, in order: I2C transfers and the hardware actions between them. */
export type ServedI2cEntry =
  | { kind: 'xfer'; t: number; bus: string; addr: number; write: number[]; read: number[]; ok: boolean }
  | { kind: 'action'; t: number; action: HardwareAction };

export interface I2cReplayResult {
  /** Guest transfers replayed, and how many of them read something. */
  checked: number;
  reads: number;
  /** Each transfer whose replay differs: what the guest saw against what the fresh model answered. */
  differences: string[];
  /** Guest adapter (`i2c-0`) to the board's bus (DT path of the adapter node). */
  busMap: Record<string, string>;
  /** Whose clock timed the replay: the emulator's (the two sides agree transfer for transfer) or the guest's. */
  timing: 'emulator' | 'guest';
  /** Transfers the guest gave up on (-ETIMEDOUT): replayed, since they happened on the bus, but not compared. */
  guestTimeouts: number;
}

/** Each TPS23881's firmware download as the served model judged it. */
export interface ChipFirmware {
  path: string;
  variant: string;
  firmware: FirmwareReport;
}

/**
 * Records a served board's I2C transfers and hardware actions in one ordered stream, for the replay and
 * the report. Subscribe before the guest starts.
 */
export class I2cRunLog {
  readonly entries: ServedI2cEntry[] = [];

  constructor(private readonly board: Board) {
    board.events.on((e) => {
      if (e.type === 'i2c.xfer')
        this.entries.push({
          kind: 'xfer',
          t: e.t,
          bus: e.bus,
          addr: e.addr,
          write: [...e.write],
          read: [...e.read],
          ok: e.ok,
        });
      else if (e.type === 'board.action' && isHardwareAction(e.action))
        this.entries.push({ kind: 'action', t: e.t, action: e.action });
    });
  }

  get transfers(): number {
    return this.entries.filter((e) => e.kind === 'xfer').length;
  }

  chips(): ChipFirmware[] {
    return this.board.i2c.flatMap((b) =>
      [...b.chips].map(([path, chip]) => ({ path, variant: chip.variant, firmware: chip.firmwareReport })),
    );
  }

  replay(tree: DeviceTree, traceLines: readonly string[]): I2cReplayResult {
    return replayGuestSmbus(tree, parseSmbusTrace(traceLines), this.entries);
  }
}

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

const describe = (t: GuestSmbusTransfer): string =>
  `${t.op} ${t.protocol} a=0x${t.addr.toString(16)} c=0x${t.command.toString(16)}`;

/**
 * -ETIMEDOUT: hid-cp2112.c gave up waiting for the bridge's transfer status (RESPONSE_TIMEOUT, 50 ms per
 * poll), which a busy host makes happen; the request had reached the bridge, so the transfer did take place
 * on the bus, and the guest saw none of its result.
 */
const ETIMEDOUT = -110;

/** Whether a guest transfer is the served one: same device, same bytes on the wire, same outcome. */
function twins(g: GuestSmbusTransfer, s: ServedI2cEntry & { kind: 'xfer' }): boolean {
  const msgs = smbusMessages(g);
  const outcome = g.res === ETIMEDOUT || s.ok === g.res >= 0;
  if (!msgs || s.addr !== g.addr || !outcome) return false;
  const written = msgs.flatMap((m) => (m.kind === 'write' ? [...m.data] : []));
  return hex(written) === hex(s.write) && (g.res < 0 || g.op !== 'read' || hex(readBytes(g)) === hex(s.read));
}

/** The bytes a read transfer put on the wire: a block read's reply carries its length first. */
function readBytes(g: GuestSmbusTransfer): number[] {
  return g.protocol === 'I2C_BLOCK_DATA' ? g.data.slice(1) : g.data;
}

/**
 * Replays the guest's SMBus transfers against a fresh board of the tree. With the two sides agreeing
 * transfer for transfer, each guest transfer runs at its twin's board time and the actions run exactly where
 * they fell between transfers; otherwise guest times are used, shifted so the first transfer falls where
 * the emulator's did, and actions run at their board times.
 */
export function replayGuestSmbus(
  tree: DeviceTree,
  guest: readonly GuestSmbusTransfer[],
  served: readonly ServedI2cEntry[],
): I2cReplayResult {
  const clock = new VirtualClock();
  const board = buildBoard(tree, { clock });
  const xfers = served.flatMap((e, i) => (e.kind === 'xfer' ? [{ e, i }] : []));
  const aligned =
    xfers.length === guest.length &&
    guest.every((g, i) => {
      const s = xfers[i];
      return s !== undefined && twins(g, s.e);
    });
  const t0 = guest[0]?.ts ?? 0;
  const first = xfers[0]?.e.t ?? 0;
  const actions = served.flatMap((e, i) => (e.kind === 'action' ? [{ e, i }] : []));
  const busMap: Record<string, string> = {};
  const differences: string[] = [];
  let reads = 0;
  let timeouts = 0;
  for (const [n, g] of guest.entries()) {
    const twin = aligned ? xfers[n] : undefined;
    const at = twin ? twin.e.t : first + Math.round((g.ts - t0) * 1e9);
    // Actions that happened before this transfer: by stream position when aligned, by time otherwise.
    for (let a = actions[0]; a && (twin ? a.i < twin.i : a.e.t <= at); a = actions[0]) {
      actions.shift();
      if (a.e.t > clock.now()) clock.advanceTo(a.e.t);
      board.apply(a.e.action);
    }
    if (at > clock.now()) clock.advanceTo(at);
    const name = `i2c-${g.adapter}`;
    const bus = board.i2c.find((b) =>
      busMap[name] === undefined ? b.bus.deviceAt(g.addr) : b.path === busMap[name],
    );
    if (!bus) {
      differences.push(`#${n} ${describe(g)}: no modelled device at that address on any bus`);
      continue;
    }
    busMap[name] ??= bus.path;
    const msgs = smbusMessages(g);
    if (!msgs) {
      differences.push(`#${n} ${describe(g)}: SMBus protocol the replay does not model`);
      continue;
    }
    const r = bus.bus.transfer(msgs);
    if (g.res === ETIMEDOUT) {
      timeouts++;
      continue;
    }
    if (r.ok !== g.res >= 0) {
      differences.push(
        `#${n} ${describe(g)}: guest ${g.res >= 0 ? 'succeeded' : `failed (${g.res})`}, model ${r.ok ? 'acknowledged' : 'did not acknowledge'}`,
      );
      continue;
    }
    if (g.op !== 'read' || !r.ok) continue;
    reads++;
    const got = [...(r.reads.at(-1) ?? [])];
    const want = readBytes(g);
    if (hex(got) !== hex(want))
      differences.push(
        `#${n} ${describe(g)} at ${(at / 1e6).toFixed(3)} ms: guest read [${hex(want)}], model [${hex(got)}]`,
      );
  }
  return {
    checked: guest.length,
    reads,
    differences,
    busMap,
    timing: aligned ? 'emulator' : 'guest',
    guestTimeouts: timeouts,
  };
}
