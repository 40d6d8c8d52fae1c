export const BoardErrorCode = {
  /** An I2C device node without a one-cell `reg`, or two devices at one address on a bus. */
  I2C_ADDRESS: 'BOARD1001',
} as const;
export type BoardErrorCodeValue = (typeof BoardErrorCode)[keyof typeof BoardErrorCode];

/** A device tree the board cannot be built from; `nodePath` names the node. MDIO problems are bindings' ConfigError. */
export class BoardError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: BoardErrorCodeValue,
    readonly nodePath: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${nodePath}: ${detail}`, options);
  }
}
