import type { Clock, TimerHandle } from '../clock.js';
import type { RegisterEventSink } from './events.js';
import {
  fieldMask,
  widthMask,
  type AccessMode,
  type FieldOptions,
  type FieldSpec,
  type RegisterWidth,
} from './field.js';

export interface RegisterContext {
  readonly clock: Clock;
  readonly mapName: string;
  readonly emit: RegisterEventSink | undefined;
}

/**
 * One 8-, 16- or 32-bit register (16 unless declared otherwise): a reset value plus fields in bit order. Storage holds the bits of `rw`, `sc`, `w1c`,
 * `cor`, `tagged` and uncomputed `ro` fields; latches hold `ll`/`lh` fields. Masks per access mode are
 * precomputed when a field is declared so an access costs a few bit operations.
 */
export class Register {
  readonly fields: FieldSpec[] = [];
  #stored: number;
  readonly #all: number;
  #latched = 0;
  #declared = 0;
  #writableMask = 0; // rw + tagged
  #scMask = 0;
  #w1cMask = 0;
  #corMask = 0;
  #llMask = 0;
  #lhMask = 0;
  #fixedMask = 0; // ro without value, reserved: read from reset value
  #computed: FieldSpec[] = [];
  #latching: FieldSpec[] = [];
  #hooked: FieldSpec[] = [];
  #tagged: FieldSpec[] = [];
  #scTimers = new Map<string, TimerHandle>();
  #onWrite: ((value: number, previous: number) => void) | undefined;
  #onRead: ((value: number) => void) | undefined;

  constructor(
    readonly address: number,
    readonly name: string,
    readonly resetValue: number,
    readonly page: number | undefined,
    private readonly ctx: RegisterContext,
    readonly width: RegisterWidth = 16,
  ) {
    this.#all = widthMask(width);
    this.#stored = (resetValue & this.#all) >>> 0;
  }

  /** Bytes the register spans in a byte-addressed map. */
  get bytes(): number {
    return this.width >> 3;
  }

  /** Declares a field; fields must not overlap. */
  field(offset: number, width: number, name: string, access: AccessMode, options: FieldOptions = {}): this {
    const mask = fieldMask(offset, width, this.width);
    if (this.#declared & mask) {
      throw new RangeError(
        `${this.ctx.mapName}.${this.name}: field ${name} overlaps bits already declared (mask 0x${(this.#declared & mask).toString(16)})`,
      );
    }
    if ((access === 'll' || access === 'lh') && !options.value) {
      throw new TypeError(`${this.ctx.mapName}.${this.name}.${name}: a latching field needs a live value()`);
    }
    const spec: FieldSpec = { name, offset, width, access, mask, options };
    this.fields.push(spec);
    this.fields.sort((a, b) => a.offset - b.offset);
    this.#declared |= mask;
    switch (access) {
      case 'rw':
        this.#writableMask |= mask;
        break;
      case 'tagged':
        this.#writableMask |= mask;
        this.#tagged.push(spec);
        break;
      case 'sc':
        this.#scMask |= mask;
        break;
      case 'w1c':
        this.#w1cMask |= mask;
        break;
      case 'cor':
        this.#corMask |= mask;
        break;
      case 'll':
        this.#llMask |= mask;
        this.#latching.push(spec);
        break;
      case 'lh':
        this.#lhMask |= mask;
        this.#latching.push(spec);
        break;
      case 'ro':
      case 'reserved':
        if (!options.value) this.#fixedMask |= mask;
        break;
    }
    if (options.value && access !== 'll' && access !== 'lh') this.#computed.push(spec);
    if (options.onWrite || options.onClear) this.#hooked.push(spec);
    if (access === 'll' || access === 'lh') this.#rearm(spec);
    return this;
  }

  /** A one-bit field. */
  flag(bit: number, name: string, access: AccessMode, options: FieldOptions = {}): this {
    return this.field(bit, 1, name, access, options);
  }

  reserved(offset: number, width: number): this {
    return this.field(offset, width, `RESERVED_${offset + width - 1}_${offset}`, 'reserved');
  }

  tagged(offset: number, width: number, name: string): this {
    return this.field(offset, width, name, 'tagged');
  }

  /** Side effect after any write to the register (after field hooks). */
  onWrite(hook: (value: number, previous: number) => void): this {
    this.#onWrite = hook;
    return this;
  }

  /** Side effect after a read (after clear-on-read and latch re-arm). */
  onRead(hook: (value: number) => void): this {
    this.#onRead = hook;
    return this;
  }

  /** Bits no field, reserved range or tag covers; the DSL's "every bit is declared" rule wants 0. */
  get undeclaredMask(): number {
    return (~this.#declared & this.#all) >>> 0;
  }

  /**
   * The stored bits alone (no computed fields, latches or fixed reset bits): what a computed field may read of
   * its own register without recursing into `peek()` (LAN7801 MAC_RX.RXD follows MAC_RX.RXEN).
   */
  get stored(): number {
    return this.#stored;
  }

  /** The value a read would return, without read side effects. */
  peek(): number {
    this.sample();
    let value = this.#stored & ~this.#fixedMask & ~this.#llMask & ~this.#lhMask;
    value |= this.resetValue & this.#fixedMask;
    value |= this.#latched & (this.#llMask | this.#lhMask);
    for (const f of this.#computed) {
      value = (value & ~f.mask) | (((f.options.value as () => number)() << f.offset) & f.mask);
    }
    return (value & this.#all) >>> 0;
  }

  /** A bus read: returns the value, then clears `cor` bits and re-arms latches. */
  read(): number {
    const value = this.peek();
    if (this.#corMask) this.#stored = (this.#stored & ~this.#corMask) >>> 0;
    for (const f of this.#latching) this.#rearm(f);
    this.#onRead?.(value);
    return value;
  }

  /** A bus write, obeying each field's access mode. */
  write(value: number): void {
    const previous = this.peek();
    value = (value & this.#all) >>> 0;
    let stored = (this.#stored & ~this.#writableMask) | (value & this.#writableMask);
    if (this.#w1cMask) stored &= ~(value & this.#w1cMask);
    this.#stored = stored >>> 0;
    const scSet = value & this.#scMask;
    for (const f of this.#tagged) {
      if (this.ctx.emit) {
        this.ctx.emit({
          type: 'reg.tagged',
          map: this.ctx.mapName,
          register: this.name,
          field: f.name,
          value: (value & f.mask) >>> f.offset,
        });
      }
    }
    for (const f of this.#hooked) {
      const next = (value & f.mask) >>> f.offset;
      const prev = (previous & f.mask) >>> f.offset;
      if (f.access === 'sc') {
        if (scSet & f.mask) this.#startSelfClear(f, next, prev);
      } else if (f.options.onWrite && next !== prev && (f.access === 'rw' || f.access === 'tagged')) {
        f.options.onWrite(next, prev);
      }
    }
    this.#onWrite?.(value, previous);
  }

  /** Model-side update of a field, bypassing its access mode (status bits, interrupt causes). */
  set(fieldName: string, fieldValue: number): void {
    const f = this.#field(fieldName);
    this.#stored = ((this.#stored & ~f.mask) | ((fieldValue << f.offset) & f.mask)) >>> 0;
  }

  /** Model-side read of a field without side effects. */
  get(fieldName: string): number {
    const f = this.#field(fieldName);
    return (this.peek() & f.mask) >>> f.offset;
  }

  /** Model-side overwrite of the stored bits under `mask` (restoring retained bits after a soft reset). */
  restore(value: number, mask: number): void {
    this.#stored = ((this.#stored & ~mask) | (value & mask)) >>> 0;
  }

  /** Sets `cor`/`w1c` bits (an interrupt cause); returns true if any was newly set. */
  raise(mask: number): boolean {
    const before = this.#stored;
    this.#stored = (this.#stored | (mask & (this.#corMask | this.#w1cMask))) >>> 0;
    return this.#stored !== before;
  }

  /** Folds the live condition of latching fields into their latches (call after every state change). */
  sample(): void {
    for (const f of this.#latching) {
      const live = (((f.options.value as () => number)() << f.offset) & f.mask) >>> 0;
      if (f.access === 'll') this.#latched &= ~f.mask | live;
      else this.#latched |= live;
    }
  }

  reset(): void {
    for (const t of this.#scTimers.values()) t.cancel();
    this.#scTimers.clear();
    this.#stored = (this.resetValue & this.#all) >>> 0;
    for (const f of this.#latching) this.#rearm(f);
  }

  #rearm(f: FieldSpec): void {
    const live = (((f.options.value as () => number)() << f.offset) & f.mask) >>> 0;
    this.#latched = (this.#latched & ~f.mask) | live;
  }

  #startSelfClear(f: FieldSpec, next: number, prev: number): void {
    const delay = f.options.clearAfterNs?.() ?? 0;
    if (delay > 0) {
      this.#stored = (this.#stored | f.mask) >>> 0;
      this.#scTimers.get(f.name)?.cancel();
      this.#scTimers.set(
        f.name,
        this.ctx.clock.schedule(this.ctx.clock.now() + delay, () => {
          this.#scTimers.delete(f.name);
          this.#stored = (this.#stored & ~f.mask) >>> 0;
          f.options.onClear?.();
        }),
      );
      f.options.onWrite?.(next, prev);
    } else {
      this.#stored = (this.#stored & ~f.mask) >>> 0;
      f.options.onWrite?.(next, prev);
      f.options.onClear?.();
    }
  }

  #field(name: string): FieldSpec {
    const f = this.fields.find((x) => x.name === name);
    if (!f) throw new RangeError(`${this.ctx.mapName}.${this.name} has no field ${name}`);
    return f;
  }
}
