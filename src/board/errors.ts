import { BindingError } from '../bindings/errors.js';

export const BoardErrorCode = {
  /** An I2C device node without a one-cell `reg`, or two devices at one address on a bus. */
  I2C_ADDRESS: 'BOARD1001',
  /** `mdio-emu,classification-ms` that is not one cell of milliseconds, or an unknown `mdio-emu,classification`. */
  CLASSIFICATION_TIME: 'BOARD1007',
} as const;
export type BoardErrorCodeValue = (typeof BoardErrorCode)[keyof typeof BoardErrorCode];

/** A device tree the board cannot be built from, about one node (and property). */
export class BoardError extends BindingError {}
