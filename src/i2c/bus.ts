/**
 * An I2C bus as the Linux `i2c_transfer()` API sees it: a list of messages, each addressed to a 7-bit
 * slave, separated by repeated STARTs and closed by one STOP. An address nobody answers is NACKed; that is
 * an expected outcome (i2cdetect relies on it), so it is a result and a trace event, not an exception.
 */

/** What a chip on the bus implements. Mirrors the wire: a write phase hands over the bytes, a read phase asks for n. */
export interface I2cDevice {
  /** Bytes the master wrote after the address byte. The first byte is a register/word pointer on most chips. */
  write(bytes: Uint8Array): void;
  /** The master clocks in `length` bytes; the device returns exactly that many. */
  read(length: number): Uint8Array;
  /** STOP condition seen (end of the transfer). */
  stop?(): void;
  /** False while the chip is absent (powered down, not yet loaded): the bus NACKs its address. */
  isPresent?(): boolean;
}

export interface I2cWriteMessage {
  addr: number;
  kind: 'write';
  data: Uint8Array;
}

export interface I2cReadMessage {
  addr: number;
  kind: 'read';
  length: number;
}

export type I2cMessage = I2cWriteMessage | I2cReadMessage;

export type I2cTransferResult =
  | { ok: true; reads: Uint8Array[] }
  /** `failedAt` is the index of the message whose address byte was NACKed; earlier messages were carried out. */
  | { ok: false; failedAt: number; addr: number; reads: Uint8Array[] };

export type I2cTraceEvent =
  | { type: 'i2c.write'; addr: number; data: Uint8Array }
  | { type: 'i2c.read'; addr: number; data: Uint8Array }
  | { type: 'i2c.nack'; addr: number }
  | { type: 'i2c.stop' };

export type I2cTraceSink = (event: I2cTraceEvent) => void;

export class I2cAddressError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'I2C_ADDRESS';
}

/** 7-bit addressing: 0x00-0x07 and 0x78-0x7f are reserved by the I2C specification (UM10204 3.1.12). */
export function isValidSlaveAddress(addr: number): boolean {
  return Number.isInteger(addr) && addr >= 0x08 && addr <= 0x77;
}

export class I2cBus {
  private readonly devices = new Map<number, I2cDevice>();

  constructor(private readonly trace: I2cTraceSink = () => undefined) {}

  attach(addr: number, device: I2cDevice): void {
    if (!isValidSlaveAddress(addr))
      throw new I2cAddressError(`0x${addr.toString(16)} is not a valid 7-bit slave address`);
    if (this.devices.has(addr)) throw new I2cAddressError(`address 0x${addr.toString(16)} is already in use`);
    this.devices.set(addr, device);
  }

  detach(addr: number): void {
    this.devices.delete(addr);
  }

  deviceAt(addr: number): I2cDevice | undefined {
    return this.devices.get(addr);
  }

  /** Whether the address byte would be ACKed right now. */
  acks(addr: number): boolean {
    const dev = this.devices.get(addr);
    return dev !== undefined && (dev.isPresent?.() ?? true);
  }

  /** Runs the messages with repeated STARTs in between and one STOP at the end, as `i2c_transfer()` does. */
  transfer(messages: readonly I2cMessage[]): I2cTransferResult {
    const reads: Uint8Array[] = [];
    const touched = new Set<I2cDevice>();
    let result: I2cTransferResult | undefined;
    for (const [index, msg] of messages.entries()) {
      const dev = this.devices.get(msg.addr);
      if (!dev || !(dev.isPresent?.() ?? true)) {
        this.trace({ type: 'i2c.nack', addr: msg.addr });
        result = { ok: false, failedAt: index, addr: msg.addr, reads };
        break;
      }
      touched.add(dev);
      if (msg.kind === 'write') {
        dev.write(msg.data);
        this.trace({ type: 'i2c.write', addr: msg.addr, data: msg.data });
      } else {
        const data = dev.read(msg.length);
        reads.push(data);
        this.trace({ type: 'i2c.read', addr: msg.addr, data });
      }
    }
    for (const dev of touched) dev.stop?.();
    this.trace({ type: 'i2c.stop' });
    return result ?? { ok: true, reads };
  }

  /** i2cdetect's quick-write probe: address byte only. */
  probe(addr: number): boolean {
    return this.transfer([{ addr, kind: 'write', data: new Uint8Array(0) }]).ok;
  }
}
