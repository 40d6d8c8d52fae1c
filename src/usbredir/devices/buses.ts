/**
 * What the USB adapters need from the buses behind them. Kept minimal so the project's MDIO bus
 * (src/mdio) and I2C bus (src/i2c) plug in structurally; both trace their own accesses.
 */

/** A Clause 22 MDIO bus: 5-bit PHY address, 5-bit register, 16-bit values. */
export interface Clause22Bus {
  read(addr: number, reg: number): number;
  write(addr: number, reg: number, value: number): void;
}

/** One message of an `i2c_transfer()`; structurally the same as src/i2c's I2cMessage. */
export type I2cMessageLike =
  | { readonly addr: number; readonly kind: 'write'; readonly data: Uint8Array }
  | { readonly addr: number; readonly kind: 'read'; readonly length: number };

/**
 * An I2C bus running a list of messages under one STOP; `ok` false when an address was NACKed,
 * `reads` holding the data of the read messages carried out. src/i2c's I2cBus fits as is.
 */
export interface I2cTransferBus {
  transfer(messages: readonly I2cMessageLike[]): {
    readonly ok: boolean;
    readonly reads: readonly Uint8Array[];
  };
}
