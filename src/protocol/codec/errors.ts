import { errorCodeName, frameTypeName, type ErrorCodeValue } from './constants.js';

/**
 * A violation of the wire protocol, by either peer. `offset` is the byte offset in the frame (from the start
 * of its size field) where decoding failed, or -1 when not about one position; `frameType` is the type of the
 * frame being decoded, or -1 when the header itself was bad.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCodeValue,
    message: string,
    readonly offset = -1,
    readonly frameType = -1,
    options?: { cause?: unknown },
  ) {
    super(
      `${errorCodeName(code)}: ${message}${frameType >= 0 ? ` (frame ${frameTypeName(frameType)}` : ''}${
        frameType >= 0 && offset >= 0 ? ` at byte ${offset})` : frameType >= 0 ? ')' : ''
      }`,
      options,
    );
  }
}

/** An ERROR frame received from the server, surfaced to client code as a rejected promise. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    readonly code: number,
    readonly remoteMessage: string,
    readonly requestType: number,
  ) {
    super(`${errorCodeName(code)}: ${remoteMessage}`);
  }
}
