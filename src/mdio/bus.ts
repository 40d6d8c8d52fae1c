import type { Clock } from '../clock.js';
import type { MdioDevice } from '../phy/device.js';
import type { TraceSink } from '../regs/index.js';
import { BusError, BusErrorCode } from './errors.js';
import { FaultSet, type FaultHandle, type MdioFault } from './faults.js';
import type { MdioEvent, MdioFaultKind } from './trace.js';

export const MDIO_ADDRESSES = 32;
/** 22.2.4: MDIO is pulled up, so a frame nobody answers reads as all ones. */
export const NO_RESPONSE = 0xffff;

export interface MdioBusOptions {
  /** Label in trace events: the DT path of the bus node. */
  readonly name: string;
  readonly clock: Clock;
  readonly trace?: TraceSink<MdioEvent>;
}

/**
 * An MDIO bus: 32 addresses, Clause 22 and Clause 45 frames, per-transaction trace events, fault injection.
 * The bus owns dispatch (v86 `io.js` style); devices only see frames addressed to them.
 *
 * Clause 22: `read(addr, reg)`, `write(addr, reg, value)`.
 * Clause 45 (45.3): frame level `c45Address` / `c45Read` / `c45ReadIncrement` / `c45Write`, or the usual
 * address-then-data pair `readC45(addr, devad, reg)` / `writeC45(addr, devad, reg, value)`.
 */
export class MdioBus {
  readonly name: string;
  readonly clock: Clock;
  readonly #devices: (MdioDevice | undefined)[] = new Array<MdioDevice | undefined>(MDIO_ADDRESSES).fill(
    undefined,
  );
  readonly #faults = new FaultSet();
  readonly #trace: TraceSink<MdioEvent> | undefined;
  /** Each answering MMD's address register as the device holds it (45.2: latched, post-incremented by it). */
  readonly #c45Addresses = new Map<number, number>();
  /** The last address frame carried per (port, devad), answered or not: what a bus analyser decodes. */
  readonly #c45WireAddresses = new Map<number, number>();

  constructor(options: MdioBusOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.#trace = options.trace;
  }

  attach(addr: number, device: MdioDevice): void {
    checkAddr(addr);
    if (this.#devices[addr])
      throw new BusError(BusErrorCode.ADDRESS_IN_USE, `${this.name}: address ${addr} already has a device`);
    this.#devices[addr] = device;
  }

  detach(addr: number): MdioDevice | undefined {
    checkAddr(addr);
    const d = this.#devices[addr];
    this.#devices[addr] = undefined;
    return d;
  }

  device(addr: number): MdioDevice | undefined {
    checkAddr(addr);
    return this.#devices[addr];
  }

  /** Occupied addresses, ascending. */
  addresses(): number[] {
    return this.#devices.flatMap((d, i) => (d ? [i] : []));
  }

  injectFault(fault: MdioFault): FaultHandle {
    checkAddr(fault.addr);
    return this.#faults.add(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  // ---- Clause 22 -----------------------------------------------------------------------------------

  read(addr: number, reg: number): number {
    checkAddr(addr);
    checkReg(reg);
    const silenced = this.#silenced(addr);
    const value = silenced ? undefined : this.#devices[addr]?.c22Read(reg);
    return this.#completeRead(addr, undefined, reg, value, silenced);
  }

  write(addr: number, reg: number, value: number): void {
    checkAddr(addr);
    checkReg(reg);
    checkValue(value);
    const silenced = this.#silenced(addr);
    const responded = silenced ? false : (this.#devices[addr]?.c22Write(reg, value) ?? false);
    this.#traceData(
      'mdio.write',
      addr,
      undefined,
      reg,
      value,
      responded,
      silenced ? 'no-response' : undefined,
    );
  }

  // ---- Clause 45 -----------------------------------------------------------------------------------

  c45Address(addr: number, devad: number, reg: number): boolean {
    checkAddr(addr);
    checkDevad(devad);
    checkValue(reg);
    const silenced = this.#silenced(addr);
    const responded = silenced ? false : (this.#devices[addr]?.c45Address(devad, reg) ?? false);
    this.#c45WireAddresses.set(c45Key(addr, devad), reg);
    if (responded) this.#c45Addresses.set(c45Key(addr, devad), reg);
    if (this.#trace?.enabled)
      this.#trace.emit({
        type: 'mdio.c45.address',
        t: this.clock.now(),
        bus: this.name,
        addr,
        devad,
        reg,
        responded,
      });
    return responded;
  }

  c45Read(addr: number, devad: number): number {
    return this.#c45Read(addr, devad, false);
  }

  c45ReadIncrement(addr: number, devad: number): number {
    return this.#c45Read(addr, devad, true);
  }

  c45Write(addr: number, devad: number, value: number): void {
    checkAddr(addr);
    checkDevad(devad);
    checkValue(value);
    const silenced = this.#silenced(addr);
    const responded = silenced ? false : (this.#devices[addr]?.c45Write(devad, value) ?? false);
    const reg = this.#dataFrameRegister(addr, devad, responded);
    this.#traceData('mdio.write', addr, devad, reg, value, responded, silenced ? 'no-response' : undefined);
  }

  /** Address frame then read frame, as Linux mdiobus_c45_read() issues them. */
  readC45(addr: number, devad: number, reg: number): number {
    this.c45Address(addr, devad, reg);
    return this.c45Read(addr, devad);
  }

  writeC45(addr: number, devad: number, reg: number, value: number): void {
    this.c45Address(addr, devad, reg);
    this.c45Write(addr, devad, value);
  }

  #c45Read(addr: number, devad: number, postIncrement: boolean): number {
    checkAddr(addr);
    checkDevad(devad);
    const silenced = this.#silenced(addr);
    const value = silenced ? undefined : this.#devices[addr]?.c45Read(devad, postIncrement);
    const reg = this.#dataFrameRegister(addr, devad, value !== undefined);
    if (value !== undefined && postIncrement) this.#c45Addresses.set(c45Key(addr, devad), (reg + 1) & 0xffff);
    return this.#completeRead(addr, devad, reg, value, silenced);
  }

  /** An injected "no response" fault: the device at `addr` never sees the frame. */
  #silenced(addr: number): boolean {
    return !this.#faults.empty && this.#faults.silenced(addr);
  }

  /**
   * The second half of every read frame, Clause 22 (`devad` undefined) or 45: nobody drove the line → all
   * ones; an injected bit error flips bits of an answer; then the trace event.
   */
  #completeRead(
    addr: number,
    devad: number | undefined,
    reg: number,
    value: number | undefined,
    silenced: boolean,
  ): number {
    let fault: MdioFaultKind | undefined = silenced ? 'no-response' : undefined;
    const responded = value !== undefined;
    let result = value ?? NO_RESPONSE;
    if (responded && !this.#faults.empty) {
      const xor = this.#faults.corruption(addr, reg, devad);
      if (xor) {
        result ^= xor;
        fault = 'bit-error';
      }
    }
    this.#traceData('mdio.read', addr, devad, reg, result, responded, fault);
    return result;
  }

  #traceData(
    type: 'mdio.read' | 'mdio.write',
    addr: number,
    devad: number | undefined,
    reg: number,
    value: number,
    responded: boolean,
    fault: MdioFaultKind | undefined,
  ): void {
    if (this.#trace?.enabled)
      this.#trace.emit({
        type,
        t: this.clock.now(),
        bus: this.name,
        addr,
        ...(devad === undefined ? {} : { devad }),
        reg,
        value,
        responded,
        ...(fault ? { fault } : {}),
      });
  }

  /**
   * The register a Clause 45 data frame is traced with. An answering MMD used its own address register
   * (including its post-increments); an unanswered frame shows the last address frame on the wire, since
   * 45.3 data frames carry no register and nothing else on the bus latched one.
   */
  #dataFrameRegister(addr: number, devad: number, responded: boolean): number {
    const key = c45Key(addr, devad);
    return (responded ? this.#c45Addresses.get(key) : this.#c45WireAddresses.get(key)) ?? 0;
  }
}

function c45Key(addr: number, devad: number): number {
  return addr * MDIO_ADDRESSES + devad;
}
function checkAddr(addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr >= MDIO_ADDRESSES)
    throw new BusError(BusErrorCode.ADDRESS_RANGE, `PHY address ${addr} is outside 0-31`);
}
function checkReg(reg: number): void {
  if (!Number.isInteger(reg) || reg < 0 || reg > 31)
    throw new BusError(BusErrorCode.REGISTER_RANGE, `Clause 22 register ${reg} is outside 0-31`);
}
function checkDevad(devad: number): void {
  if (!Number.isInteger(devad) || devad < 0 || devad > 31)
    throw new BusError(BusErrorCode.REGISTER_RANGE, `MMD ${devad} is outside 0-31`);
}
function checkValue(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new BusError(BusErrorCode.REGISTER_RANGE, `value ${value} is not 16-bit`);
}
