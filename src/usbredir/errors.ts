import { MdioEmuError } from '../diagnostics/index.js';

/** Stable codes for usbredir protocol violations (the USB prefix of the one code space); tests assert these. */
export const UsbredirErrorCode = {
  UNKNOWN_TYPE: 'USB1001',
  WRONG_DIRECTION: 'USB1002',
  PACKET_TOO_LONG: 'USB1003',
  BAD_LENGTH: 'USB1004',
  BAD_DATA_LENGTH: 'USB1005',
  UNEXPECTED_DATA: 'USB1006',
  MISSING_CAP: 'USB1007',
  BAD_FIELD: 'USB1008',
  SECOND_HELLO: 'USB1009',
} as const;
export type ProtocolErrorCode = (typeof UsbredirErrorCode)[keyof typeof UsbredirErrorCode];

/**
 * A malformed or out-of-place packet. `offset` is the stream offset of the packet's first header
 * byte; `packetType` the raw type number from its header. Decoding errors are reported, not thrown:
 * the decoder skips the packet (as usbredirparser does) and carries on.
 */
export class ProtocolError extends MdioEmuError {
  readonly kind = 'protocol';
  constructor(
    code: ProtocolErrorCode,
    message: string,
    readonly offset: number,
    readonly packetType: number,
    options?: ErrorOptions,
  ) {
    super(code, message, { where: `usbredir packet type ${packetType} at byte ${offset}`, ...options });
  }
}
