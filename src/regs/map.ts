import type { Clock } from '../clock.js';
import type { RegisterEventSink } from './events.js';
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
}

export interface DefineOptions {
  /** The page this register lives in; omit for unbanked registers. */
  readonly page?: number;
}

const BANK = 0x10000;

/** A set of registers addressed by number (and page): a Clause 22 register file or one Clause 45 MMD. */
export class RegisterMap {
  readonly name: string;
  readonly #registers = new Map<number, Register>();
  readonly #ordered: Register[] = [];
  readonly #ctx: RegisterContext;
  readonly #pages: PageSelect | undefined;

  constructor(options: RegisterMapOptions) {
    this.name = options.name;
    this.#pages = options.pages;
    this.#ctx = { clock: options.clock, mapName: options.name, emit: options.emit };
  }

  /** Declares a register; chain `.field()`/`.flag()`/`.reserved()` on the result. */
  define(address: number, name: string, resetValue: number, options: DefineOptions = {}): Register {
    const key = this.#key(address, options.page);
    if (this.#registers.has(key))
      throw new RangeError(
        `${this.name}: register 0x${address.toString(16)}${options.page === undefined ? '' : ` page ${options.page}`} defined twice`,
      );
    const reg = new Register(address, name, resetValue, options.page, this.#ctx);
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
