import type { Clock } from '../clock.js';
import type { RegisterEventSink } from './events.js';
import type { RegisterWidth } from './field.js';
import { Register, type RegisterContext } from './register.js';

/**
 * Page banking as data (style.md: v86's hand-written page checks are the counter-example). The page-select
 * register itself is an ordinary, unbanked register of the map; banked addresses are looked up under the page
 * it holds. `alias` lets a part answer several page numbers with one bank (RTL8211F: page 0 registers 16-23
 * are page 0xa42, 24-30 are page 0xa43).
 */
export interface PageSelect {
  readonly register: number;
  readonly banked: (address: number) => boolean;
  readonly alias?: (page: number, address: number) => number;
}

export interface RegisterMapOptions {
  readonly name: string;
  readonly clock: Clock;
  readonly pages?: PageSelect;
  readonly emit?: RegisterEventSink;
  /** Width of registers defined without one; 16 when omitted (MDIO). */
  readonly width?: RegisterWidth;
  /**
   * `register` (the default): one bus address per register, as MDIO numbers them. `byte`: a register of W bits
   * spans W/8 consecutive byte addresses, as an I2C chip's register pointer or a USB bridge's register file
   * counts them; bytes are read and written with `readBytes`/`writeBytes`, whole registers with `read`/`write`
   * at their first byte.
   */
  readonly addressing?: 'register' | 'byte';
  /** Byte order of multi-byte registers in a byte-addressed map; little-endian when omitted. */
  readonly endian?: 'little' | 'big';
}

export interface DefineOptions {
  /** The page this register lives in; omit for unbanked registers. */
  readonly page?: number;
  /** Overrides the map's register width. */
  readonly width?: RegisterWidth;
}

/** Where a byte address of a byte-addressed map falls: the register and the byte's index in bus order. */
export interface ByteLocation {
  readonly register: Register;
  readonly byte: number;
}

const BANK = 0x10000;

/** A set of registers addressed by number (and page): a Clause 22 register file or one Clause 45 MMD. */
export class RegisterMap {
  readonly name: string;
  readonly #registers = new Map<number, Register>();
  readonly #ordered: Register[] = [];
  readonly #ctx: RegisterContext;
  readonly #pages: PageSelect | undefined;
  readonly #width: RegisterWidth;
  readonly #endian: 'little' | 'big';
  /** Byte-addressed maps: every byte address (page-keyed) a register covers. */
  readonly #bytes: Map<number, ByteLocation> | undefined;

  constructor(options: RegisterMapOptions) {
    this.name = options.name;
    this.#pages = options.pages;
    this.#width = options.width ?? 16;
    this.#endian = options.endian ?? 'little';
    this.#bytes = options.addressing === 'byte' ? new Map() : undefined;
    this.#ctx = { clock: options.clock, mapName: options.name, emit: options.emit };
  }

  /** Whether addresses count bytes (see `RegisterMapOptions.addressing`). */
  get byteAddressed(): boolean {
    return this.#bytes !== undefined;
  }

  /** Declares a register; chain `.field()`/`.flag()`/`.reserved()` on the result. */
  define(address: number, name: string, resetValue: number, options: DefineOptions = {}): Register {
    const key = this.#key(address, options.page);
    if (this.#registers.has(key))
      throw new RangeError(
        `${this.name}: register 0x${address.toString(16)}${options.page === undefined ? '' : ` page ${options.page}`} defined twice`,
      );
    const reg = new Register(
      address,
      name,
      resetValue,
      options.page,
      this.#ctx,
      options.width ?? this.#width,
    );
    if (this.#bytes) {
      for (let b = 0; b < reg.bytes; b++) {
        const other = this.#bytes.get(key + b)?.register;
        if (other)
          throw new RangeError(
            `${this.name}: ${name} at 0x${address.toString(16)} overlaps ${other.name} at byte 0x${(address + b).toString(16)}`,
          );
      }
      for (let b = 0; b < reg.bytes; b++) this.#bytes.set(key + b, { register: reg, byte: b });
    }
    this.#registers.set(key, reg);
    this.#ordered.push(reg);
    return reg;
  }

  /** The page currently selected (0 when the map is not paged). */
  get page(): number {
    if (!this.#pages) return 0;
    return this.#registers.get(this.#pages.register)?.peek() ?? 0;
  }

  /** The register a bus access to `address` reaches under the current page, if modelled. */
  resolve(address: number): Register | undefined {
    const pages = this.#pages;
    if (pages && pages.banked(address)) {
      const selected = this.page;
      const page = pages.alias ? pages.alias(selected, address) : selected;
      return this.#registers.get(BANK + page * BANK + address);
    }
    return this.#registers.get(address);
  }

  /** Byte-addressed maps: the register covering byte `address` under the current page, and which byte it is. */
  locate(address: number): ByteLocation | undefined {
    if (!this.#bytes) return undefined;
    const pages = this.#pages;
    if (pages && pages.banked(address)) {
      const selected = this.page;
      const page = pages.alias ? pages.alias(selected, address) : selected;
      return this.#bytes.get(BANK + page * BANK + address);
    }
    return this.#bytes.get(address);
  }

  /**
   * Byte-addressed maps: `length` bytes from `address` upwards, as a register pointer that auto-increments
   * reads them. Each register the range touches is read once (so clear-on-read bits clear once); bytes of no
   * register read 0 and are reported.
   */
  readBytes(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let i = 0;
    while (i < length) {
      const at = this.#locateOrReport(address + i, 'read', 0);
      if (!at) {
        i++;
        continue;
      }
      const value = at.register.read();
      for (let b = at.byte; b < at.register.bytes && i < length; b++, i++)
        out[i] = this.#byteOf(value, b, at.register.bytes);
    }
    return out;
  }

  /**
   * Byte-addressed maps: writes `bytes` from `address` upwards. A register written in full takes the value;
   * one written in part keeps its other bytes (read-modify-write without read side effects). Bytes of no
   * register are reported.
   */
  writeBytes(address: number, bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const at = this.#locateOrReport(address + i, 'write', bytes[i] ?? 0);
      if (!at) {
        i++;
        continue;
      }
      const reg = at.register;
      let value = reg.peek();
      for (let b = at.byte; b < reg.bytes && i < bytes.length; b++, i++)
        value = this.#withByte(value, b, reg.bytes, bytes[i] ?? 0);
      reg.write(value);
    }
  }

  #locateOrReport(address: number, op: 'read' | 'write', value: number): ByteLocation | undefined {
    if (!this.#bytes) throw new TypeError(`${this.name} is not byte-addressed`);
    const at = this.locate(address);
    if (!at)
      this.#ctx.emit?.({
        type: 'reg.unmodelled',
        op,
        map: this.name,
        page: this.#pagedAt(address),
        address,
        value,
      });
    return at;
  }

  /** Bit position of bus byte `b` of an `n`-byte register. */
  #shift(b: number, n: number): number {
    return 8 * (this.#endian === 'little' ? b : n - 1 - b);
  }

  #byteOf(value: number, b: number, n: number): number {
    return (value >>> this.#shift(b, n)) & 0xff;
  }

  #withByte(value: number, b: number, n: number, byte: number): number {
    const shift = this.#shift(b, n);
    return ((value & ~(0xff << shift)) | ((byte & 0xff) << shift)) >>> 0;
  }

  /** Looks a register up by name, or by address and page. */
  get(name: string): Register;
  get(address: number, page?: number): Register;
  get(nameOrAddress: string | number, page?: number): Register {
    const reg =
      typeof nameOrAddress === 'string'
        ? this.#ordered.find((r) => r.name === nameOrAddress)
        : this.#registers.get(this.#key(nameOrAddress, page));
    if (!reg)
      throw new RangeError(
        `${this.name}: no register ${String(nameOrAddress)}${page === undefined ? '' : ` page ${page}`}`,
      );
    return reg;
  }

  has(address: number, page?: number): boolean {
    return this.#registers.has(this.#key(address, page));
  }

  /** A bus read; an unmodelled address reads 0 and is reported (real parts return undefined data). */
  read(address: number): number {
    const reg = this.resolve(address);
    if (reg) return reg.read();
    this.#ctx.emit?.({
      type: 'reg.unmodelled',
      op: 'read',
      map: this.name,
      page: this.#pagedAt(address),
      address,
      value: 0,
    });
    return 0;
  }

  write(address: number, value: number): void {
    const reg = this.resolve(address);
    if (reg) {
      reg.write(value);
      return;
    }
    this.#ctx.emit?.({
      type: 'reg.unmodelled',
      op: 'write',
      map: this.name,
      page: this.#pagedAt(address),
      address,
      value,
    });
  }

  /** Value a read would return, without side effects (for dumps and tests). */
  peek(address: number): number | undefined {
    return this.resolve(address)?.peek();
  }

  /** Restores every register's reset value and cancels pending self-clear timers. */
  reset(): void {
    for (const r of this.#ordered) r.reset();
  }

  /** Folds live conditions into every latching field; models call this after each state change. */
  sample(): void {
    for (const r of this.#ordered) r.sample();
  }

  /** Every register, in definition order. */
  get registers(): readonly Register[] {
    return this.#ordered;
  }

  /** Registers with bits that no field, reserved range or tag declares. */
  undeclared(): { register: string; page: number | undefined; address: number; mask: number }[] {
    return this.#ordered
      .filter((r) => r.undeclaredMask !== 0)
      .map((r) => ({ register: r.name, page: r.page, address: r.address, mask: r.undeclaredMask }));
  }

  #key(address: number, page: number | undefined): number {
    return page === undefined ? address : BANK + page * BANK + address;
  }

  #pagedAt(address: number): number | undefined {
    return this.#pages?.banked(address) ? this.page : undefined;
  }
}
