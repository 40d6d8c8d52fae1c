/**
 * Access modes are data (style.md "Registers"). Each mode fixes what a read returns and what a write does:
 * - `rw`       stored; reads what was written.
 * - `ro`       writes ignored; reads the reset value or the field's computed `value()`.
 * - `sc`       self-clearing: writing 1 starts an action; the bit reads 1 until the action ends (`clearAfterNs`).
 * - `ll`       latched low (802.3 22.2.4.2.13 link status): reads 0 if the live condition was 0 at any time
 *              since the last read, then follows the live condition again.
 * - `lh`       latched high (802.3 22.2.4.2.11 remote fault): the dual of `ll`.
 * - `cor`      clear on read: set by the model (`raise`), cleared by a read (interrupt status registers).
 * - `w1c`      set by the model, cleared by writing 1.
 * - `reserved` reads the reset value, ignores writes.
 * - `tagged`   known but not modelled: stored like `rw`, and every write is reported as a trace event.
 */
export type AccessMode = 'rw' | 'ro' | 'sc' | 'll' | 'lh' | 'cor' | 'w1c' | 'reserved' | 'tagged';

export interface FieldOptions {
  /** Computed read value for `ro`/`rw` fields; for `ll`/`lh` the live condition the latch follows. */
  value?: () => number;
  /** Side effect after a write that changed the field (for `sc`: after a 1 was written). */
  onWrite?: (value: number, previous: number) => void;
  /** `sc` only: how long the bit keeps reading 1 (0 = never reads back as 1). */
  clearAfterNs?: () => number;
  /** `sc` only: side effect when the bit clears by itself. */
  onClear?: () => void;
}

export interface FieldSpec {
  readonly name: string;
  readonly offset: number;
  readonly width: number;
  readonly access: AccessMode;
  /** Bits of the register this field covers. */
  readonly mask: number;
  readonly options: FieldOptions;
}

/** Register widths the DSL knows: PHYs and the TPS23881's measurements are 16-bit, I2C chips' byte registers
 * 8-bit, USB bridges' (LAN7801) 32-bit. */
export type RegisterWidth = 8 | 16 | 32;

/** All ones in a register of `width` bits, as an unsigned number. */
export function widthMask(width: RegisterWidth): number {
  return width === 32 ? 0xffff_ffff : (1 << width) - 1;
}

/** The bits a field covers, as an unsigned number; throws when it does not fit a `registerWidth`-bit register. */
export function fieldMask(offset: number, width: number, registerWidth: RegisterWidth = 16): number {
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(width) ||
    offset < 0 ||
    width < 1 ||
    offset + width > registerWidth
  ) {
    throw new RangeError(
      `field at bit ${offset} width ${width} does not fit a ${registerWidth}-bit register`,
    );
  }
  return ((width === 32 ? 0xffff_ffff : (1 << width) - 1) << offset) >>> 0;
}
