import { InputError } from '../diagnostics/index.js';

export const BusErrorCode = {
  ADDRESS_RANGE: 'MDIO001', // PHY address outside 0-31
  ADDRESS_IN_USE: 'MDIO002', // two devices at one address
  REGISTER_RANGE: 'MDIO003', // Clause 22 register outside 0-31, devad outside 0-31, value not 16-bit
} as const;
export type BusErrorCodeValue = (typeof BusErrorCode)[keyof typeof BusErrorCode];

/** Misuse of the bus API by a caller (never an expected bus event: those are trace events). */
export class BusError extends InputError {
  declare readonly code: BusErrorCodeValue;
}
