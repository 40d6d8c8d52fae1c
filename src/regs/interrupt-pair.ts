import type { RegisterMap } from './map.js';
import type { Register } from './register.js';

/** Where one register of the pair sits: its address, mnemonic and, for page-banked maps, its page. */
export interface InterruptRegisterAt {
  readonly address: number;
  readonly name: string;
  readonly page?: number;
}

/** An interrupt enable register and its status register, sharing one bit layout. */
export interface InterruptPair {
  readonly enable: Register;
  readonly status: Register;
  /** An enabled cause is pending (what drives the interrupt output, before any output-enable gate). */
  pending(): boolean;
}

/**
 * Declares an interrupt enable (`rw`) / status (`cor`: the model raises causes, a read clears them) pair with
 * one bit layout, the shape PHYs give them (88E1510 copper 18/19, DP83867 MICR/ISR, RTL8211F INER/INSR).
 * `causes` maps each cause's name to its bit; a name starting with RESERVED, and every bit no name covers,
 * is declared reserved. Both registers reset to 0 (nothing enabled, nothing pending).
 */
export function defineInterruptPair(
  map: RegisterMap,
  enable: InterruptRegisterAt,
  status: InterruptRegisterAt,
  causes: Readonly<Record<string, number>>,
): InterruptPair {
  const define = (at: InterruptRegisterAt, access: 'rw' | 'cor'): Register =>
    declareCauses(
      map.define(at.address, at.name, 0, at.page === undefined ? {} : { page: at.page }),
      causes,
      access,
    );
  const enableReg = define(enable, 'rw');
  const statusReg = define(status, 'cor');
  return {
    enable: enableReg,
    status: statusReg,
    pending: () => (enableReg.peek() & statusReg.peek()) !== 0,
  };
}

function declareCauses(
  reg: Register,
  causes: Readonly<Record<string, number>>,
  access: 'rw' | 'cor',
): Register {
  let named = 0;
  for (const [name, bit] of Object.entries(causes)) {
    reg.flag(bit, name, name.startsWith('RESERVED') ? 'reserved' : access);
    named |= 1 << bit;
  }
  for (let bit = 0; bit < reg.width;) {
    if (named & (1 << bit)) {
      bit++;
      continue;
    }
    let end = bit + 1;
    while (end < reg.width && !(named & (1 << end))) end++;
    reg.reserved(bit, end - bit);
    bit = end;
  }
  return reg;
}
