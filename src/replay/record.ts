/**
 * One MDIO transaction as mdio-emu records it, whatever its source: the emulator's own bus trace, a
 * client session, or Linux's `mdio:mdio_access` trace event imported from text.
 */
export type TraceOp = 'read' | 'write' | 'address';

/**
 * `no-response`: nobody drove MDIO (the read returned 0xffff); `bit-error`: an injected fault flipped bits;
 * `error`: the transaction failed before reaching the bus (the client saw an error).
 */
export type TraceResult = 'ok' | 'no-response' | 'bit-error' | 'error';

export interface TraceRecord {
  /** Virtual time of the emulator, ns (for imported kernel traces: the kernel trace clock, ns). */
  vtNs: number;
  /** Wall clock, ms since the Unix epoch; undefined when the source does not say. */
  wallMs?: number;
  /** Which client issued it (a session name); undefined when the source does not say. */
  client?: string;
  /** Bus name: the DT path of the MDIO bus node, or the kernel's `mii_bus->id` for imported traces. */
  bus: string;
  op: TraceOp;
  addr: number;
  /** Clause 45 MMD; undefined for Clause 22 frames. */
  devad?: number;
  /** Register number (for `address` frames: the address written). */
  reg: number;
  /** Value read or written (for `address` frames: equal to `reg`). */
  value: number;
  result: TraceResult;
  /** 1-based line of the file it was read from, for reports. */
  line?: number;
}

/** The fields that make two transactions "the same request": what serve matches and diff aligns on. */
export function requestKey(r: TraceRecord): string {
  return `${r.bus}\u0000${r.op}\u0000${r.addr}\u0000${r.devad ?? ''}\u0000${r.reg}${r.op === 'read' ? '' : `\u0000${r.value}`}`;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** `read /mdio@0 phy 1 reg 0x02 = 0x0141`, the form reports use. */
export function describeRecord(r: TraceRecord): string {
  const reg = r.devad === undefined ? `reg ${hex(r.reg, 2)}` : `mmd ${r.devad} reg ${hex(r.reg, 4)}`;
  const result = r.result === 'ok' ? '' : ` (${r.result})`;
  if (r.op === 'address')
    return `c45-address ${r.bus} phy ${r.addr} mmd ${r.devad ?? 0} -> ${hex(r.reg, 4)}${result}`;
  return `${r.op} ${r.bus} phy ${r.addr} ${reg} ${r.op === 'read' ? '=' : '<-'} ${hex(r.value, 4)}${result}`;
}
