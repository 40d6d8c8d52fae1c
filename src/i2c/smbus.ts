import type { I2cBus, I2cTransferResult } from './bus.js';
import { byteAt } from './bytes.js';

/**
 * SMBus transactions built on `i2c_transfer()` exactly as Linux's i2c_smbus_xfer_emulated()
 * (drivers/i2c/i2c-core-smbus.c) builds them: a command byte written, then a repeated START and a read.
 * Like the kernel helpers they return the value, or a negative errno (-ENXIO when the address is NACKed).
 * Words travel least significant byte first (SMBus 2.0, 6.5.4).
 */

export const ENXIO = 6;

export function smbusReadByteData(bus: I2cBus, addr: number, command: number): number {
  const r = bus.transfer([
    { addr, kind: 'write', data: Uint8Array.of(command & 0xff) },
    { addr, kind: 'read', length: 1 },
  ]);
  return r.ok ? byteAt(readData(r), 0) : -ENXIO;
}

export function smbusWriteByteData(bus: I2cBus, addr: number, command: number, value: number): number {
  const r = bus.transfer([{ addr, kind: 'write', data: Uint8Array.of(command & 0xff, value & 0xff) }]);
  return r.ok ? 0 : -ENXIO;
}

export function smbusReadWordData(bus: I2cBus, addr: number, command: number): number {
  const r = bus.transfer([
    { addr, kind: 'write', data: Uint8Array.of(command & 0xff) },
    { addr, kind: 'read', length: 2 },
  ]);
  if (!r.ok) return -ENXIO;
  const data = readData(r);
  return byteAt(data, 0) | (byteAt(data, 1) << 8);
}

export function smbusWriteWordData(bus: I2cBus, addr: number, command: number, value: number): number {
  const r = bus.transfer([
    { addr, kind: 'write', data: Uint8Array.of(command & 0xff, value & 0xff, (value >> 8) & 0xff) },
  ]);
  return r.ok ? 0 : -ENXIO;
}

/** The bytes of a transfer's single read message (the transfer returns one entry per read carried out). */
function readData(r: I2cTransferResult): Uint8Array {
  const data = r.reads[0];
  if (!data) throw new RangeError('the I2C transfer carried out no read message');
  return data;
}

/** A client bound to one address, the shape of `struct i2c_client` for code that mirrors a driver. */
export class SmbusClient {
  constructor(
    readonly bus: I2cBus,
    readonly addr: number,
  ) {}
  readByteData(command: number): number {
    return smbusReadByteData(this.bus, this.addr, command);
  }
  writeByteData(command: number, value: number): number {
    return smbusWriteByteData(this.bus, this.addr, command, value);
  }
  readWordData(command: number): number {
    return smbusReadWordData(this.bus, this.addr, command);
  }
  writeWordData(command: number, value: number): number {
    return smbusWriteWordData(this.bus, this.addr, command, value);
  }
}
