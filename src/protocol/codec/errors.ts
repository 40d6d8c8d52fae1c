import { InputError, MdioEmuError } from '../../diagnostics/index.js';
import { errorCodeName, frameTypeName, type ErrorCodeValue } from './constants.js';

/** The code-space code of a wire ERROR status: WIRE and the status in four hex digits (docs/protocol.md). */
export function wireCode(status: number): string {
  return `WIRE${status.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A violation of the wire protocol, by either peer. `status` is the ERROR frame status it maps to; `offset` is
 * the byte offset in the frame (from the start of its size field) where decoding failed, or -1 when not about
 * one position; `frameType` is the type of the frame being decoded, or -1 when the header itself was bad.
 */
export class ProtocolError extends MdioEmuError {
  readonly kind = 'protocol';
  constructor(
    readonly status: ErrorCodeValue,
    message: string,
    readonly offset = -1,
    readonly frameType = -1,
    options?: { cause?: unknown },
  ) {
    const where =
      frameType >= 0
        ? `frame ${frameTypeName(frameType)}${offset >= 0 ? `, byte ${offset}` : ''}`
        : offset >= 0
          ? `byte ${offset}`
          : undefined;
    super(wireCode(status), `${errorCodeName(status)}: ${message}`, {
      ...(where !== undefined ? { where } : {}),
      ...options,
    });
  }

  /** The text an ERROR frame carries: what and where, without the code (the frame has the status). */
  get wireMessage(): string {
    const where = this.diagnostics[0]?.where;
    return where === undefined ? this.detail : `${this.detail} (${where})`;
  }
}

/** An ERROR frame received from the server, surfaced to client code as a rejected promise. */
export class RemoteError extends InputError {
  constructor(
    readonly status: number,
    readonly remoteMessage: string,
    readonly requestType: number,
  ) {
    super(wireCode(status), `${errorCodeName(status)}: ${remoteMessage}`);
  }
}
