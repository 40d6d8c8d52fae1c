import type { I2cDevice } from './bus.js';
import { byteAt } from './bytes.js';

/**
 * Atmel AT24C02 (`atmel,24c02`, Linux drivers/misc/eeprom/at24.c): 256 bytes, one word-address byte,
 * 8-byte pages. Per the AT24C02 datasheet: a write longer than a page wraps to the start of the same page
 * ("page write ... roll over"); a sequential read runs on and wraps from 0xff to 0x00; a read without a
 * preceding address write continues at the current address (current address read).
 */
export const AT24C02_SIZE = 256;
export const AT24C02_PAGE_SIZE = 8;

export class Eeprom24c02 implements I2cDevice {
  readonly compatible = 'atmel,24c02';
  private readonly cells: Uint8Array;
  private pointer = 0;

  constructor(initial?: Uint8Array) {
    // A blank EEPROM reads all ones (erased cells).
    this.cells = new Uint8Array(AT24C02_SIZE).fill(0xff);
    if (initial) this.cells.set(initial.subarray(0, AT24C02_SIZE));
  }

  write(bytes: Uint8Array): void {
    const pointer = bytes[0];
    if (pointer === undefined) return; // quick-write probe: ACK only
    this.pointer = pointer;
    const pageBase = this.pointer & ~(AT24C02_PAGE_SIZE - 1);
    let offset = this.pointer & (AT24C02_PAGE_SIZE - 1);
    for (const b of bytes.subarray(1)) {
      this.cells[pageBase + offset] = b;
      offset = (offset + 1) % AT24C02_PAGE_SIZE;
    }
    // The internal address counter ends one past the last byte written, still inside the page.
    if (bytes.length > 1) this.pointer = pageBase + offset;
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      out[i] = byteAt(this.cells, this.pointer);
      this.pointer = (this.pointer + 1) % AT24C02_SIZE;
    }
    return out;
  }

  /** The whole array, for assertions and dumps. */
  contents(): Uint8Array {
    return this.cells.slice();
  }
}
