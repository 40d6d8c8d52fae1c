/** Stable codes for usbredir protocol violations; tests assert these, never message text. */
export type ProtocolErrorCode =
  | 'USBREDIR_UNKNOWN_TYPE'
  | 'USBREDIR_WRONG_DIRECTION'
  | 'USBREDIR_PACKET_TOO_LONG'
  | 'USBREDIR_BAD_LENGTH'
  | 'USBREDIR_BAD_DATA_LENGTH'
  | 'USBREDIR_UNEXPECTED_DATA'
  | 'USBREDIR_MISSING_CAP'
  | 'USBREDIR_BAD_FIELD'
  | 'USBREDIR_SECOND_HELLO';

/**
 * A malformed or out-of-place packet. `offset` is the stream offset of the packet's first header
 * byte; `packetType` the raw type number from its header. Decoding errors are reported, not thrown:
 * the decoder skips the packet (as usbredirparser does) and carries on.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly offset: number,
    readonly packetType: number,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message} (packet type ${packetType} at byte ${offset})`, options);
  }
}
