import type { RegisterMap } from './map.js';

/**
 * 16-bit access modes of byte-addressed maps: how an SMBus word transfer (SMBus 2.0 6.5.4/6.5.5, command byte
 * then two data bytes, low byte first) lands on 8- and 16-bit registers.
 *
 * - `sequential`: the word is the bytes at `address` and `address + 1` of one map (an auto-incrementing
 *   register pointer); a 16-bit register at `address` is read and written whole.
 * - `banked`: two maps share one address space and the word carries bank 0 in its low byte and bank 1 in its
 *   high byte, both at `address` (TPS2388x "configuration B": one I2C address serves both 4-channel quads, the
 *   driver's tps23881_calc_val() takes channels 4-7 from the high byte). A 16-bit register is not split across
 *   banks: a word at its first byte is bank 0's register, at its second byte bank 1's (TPS23881 measurements,
 *   tps23881_pi_get_chan_current() reads 0x30 + (chan % 4) * 4 + (chan >= 4)).
 */
export type WordAccess =
  | { readonly kind: 'sequential'; readonly map: RegisterMap }
  | { readonly kind: 'banked'; readonly banks: readonly [RegisterMap, RegisterMap] };

export function readWord(access: WordAccess, address: number): number {
  if (access.kind === 'sequential') {
    const at = access.map.locate(address);
    if (at && at.byte === 0 && at.register.width === 16) return at.register.read();
    const b = access.map.readBytes(address, 2);
    return (b[0] ?? 0) | ((b[1] ?? 0) << 8);
  }
  const [low, high] = access.banks;
  const at = low.locate(address);
  if (at && at.register.width === 16) {
    const bank = at.byte === 0 ? low : high;
    return bank.read(at.register.address);
  }
  return (low.readBytes(address, 1)[0] ?? 0) | ((high.readBytes(address, 1)[0] ?? 0) << 8);
}

export function writeWord(access: WordAccess, address: number, value: number): void {
  const lo = value & 0xff;
  const hi = (value >> 8) & 0xff;
  if (access.kind === 'sequential') {
    access.map.writeBytes(address, Uint8Array.of(lo, hi));
    return;
  }
  const [low, high] = access.banks;
  const at = low.locate(address);
  if (at && at.register.width === 16) {
    (at.byte === 0 ? low : high).write(at.register.address, value & 0xffff);
    return;
  }
  low.writeBytes(address, Uint8Array.of(lo));
  high.writeBytes(address, Uint8Array.of(hi));
}
