/**
 * What the USB adapters need from the buses behind them. Kept minimal so the project's MDIO bus
 * (src/mdio) and I2C bus (src/i2c) plug in structurally; both trace their own accesses.
 */

/** A Clause 22 MDIO bus: 5-bit PHY address, 5-bit register, 16-bit values. */
export interface Clause22Bus {
  read(addr: number, reg: number): number;
  write(addr: number, reg: number, value: number): void;
}

export interface I2cTransferResult {
  /** Whether the addressed target acknowledged its address (and every written byte). */
  readonly ack: boolean;
  readonly data: Uint8Array;
}

/** An I2C bus doing one combined transaction: write `write` (if any), then read `readLength` bytes. */
export interface I2cBus {
  transfer(addr: number, write: Uint8Array, readLength: number): I2cTransferResult;
}
