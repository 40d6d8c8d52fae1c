import { ErrorCode, FrameType, PROTOCOL_VERSION } from '../codec/constants.js';
import { decodeMessage } from '../codec/decode.js';
import { ProtocolError, RemoteError } from '../codec/errors.js';
import type { Event, Message, Reply, Request } from '../codec/messages.js';
import type { FrameSink } from './sink.js';

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  /** Reply type expected; a C22 read resolves with the bare value. */
  replyType: number;
}

/** The connection was closed before a reply came. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
}

/**
 * The client side of one connection: allocates tags, matches replies to requests by tag (never by order, as
 * the spec asks of clients), turns ERROR frames into rejected promises and hands events to `onEvent`.
 */
export class ClientSession {
  private nextTag = 1;
  /**
   * In-flight requests in an open-addressed table keyed by `tag & mask`. Tags are handed out in sequence,
   * so slots rarely collide; a collision doubles the table. Cheaper than a Map on the hot path.
   */
  private slots: (Pending | undefined)[] = new Array<Pending | undefined>(1024);
  private slotTags = new Uint32Array(1024);
  private mask = 1023;
  private count = 0;
  private closedWith: Error | undefined;

  constructor(
    private readonly sink: FrameSink,
    private readonly onEvent: (event: Event) => void,
    /** A reply that matches no request, or a frame the client cannot decode: the connection is unusable. */
    private readonly onProtocolError: (err: ProtocolError) => void,
  ) {}

  get inFlight(): number {
    return this.count;
  }

  /** Sends HELLO; resolves with the server's HELLO_REPLY. */
  hello(name: string, capabilities: number, maxFrame: number) {
    return this.request<Extract<Reply, { kind: 'hello-reply' }>>({
      kind: 'hello',
      version: PROTOCOL_VERSION,
      capabilities,
      maxFrame,
      name,
    });
  }

  request<R extends Reply>(message: Request): Promise<R> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const tag = this.allocTag();
    try {
      this.sink.encoder.frame(tag, message);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.wait<R>(tag, 0);
  }

  /** Hot path: resolves with the register value. */
  c22Read(bus: number, phy: number, reg: number): Promise<number> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const tag = this.allocTag();
    this.sink.encoder.c22Read(tag, bus, phy, reg);
    return this.wait<number>(tag, FrameType.C22_READ_REPLY);
  }

  onFrame(type: number, tag: number, payload: Buffer): void {
    if (tag === 0 && type !== FrameType.ERROR) {
      this.deliverEvent(type, payload);
      return;
    }
    const p = this.take(tag);
    if (p === undefined) {
      if (type === FrameType.ERROR) {
        // A connection-level error (tag 0, or a tag we never sent): the server is about to close.
        this.closeWithFrame(type, payload);
        return;
      }
      this.onProtocolError(new ProtocolError(ErrorCode.UNEXPECTED, `reply with unknown tag ${tag}`, 8, type));
      return;
    }
    if (
      type === FrameType.C22_READ_REPLY &&
      p.replyType === FrameType.C22_READ_REPLY &&
      payload.length === 4
    ) {
      (p.resolve as (v: number) => void)(payload.readUInt16LE(0));
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(type, payload);
    } catch (err) {
      p.reject(err as Error);
      return;
    }
    if (message.kind === 'error') {
      p.reject(new RemoteError(message.code, message.message, message.requestType));
      return;
    }
    if (p.replyType === FrameType.C22_READ_REPLY && message.kind === 'c22-read-reply') {
      (p.resolve as (v: number) => void)(message.value);
      return;
    }
    (p.resolve as (v: Message) => void)(message);
  }

  /** Rejects everything in flight; later requests reject at once. */
  onClose(err: Error = new ConnectionClosedError('connection closed')): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.slots) p?.reject(err);
    this.slots.fill(undefined);
    this.slotTags.fill(0);
    this.count = 0;
  }

  private closeWithFrame(type: number, payload: Buffer): void {
    try {
      const m = decodeMessage(type, payload);
      if (m.kind === 'error') this.onClose(new RemoteError(m.code, m.message, m.requestType));
    } catch (err) {
      this.onProtocolError(err as ProtocolError);
    }
  }

  private deliverEvent(type: number, payload: Buffer): void {
    let m: Message;
    try {
      m = decodeMessage(type, payload);
    } catch (err) {
      // An event type from a newer server is skipped; the length let us step over it.
      if (err instanceof ProtocolError && err.status === ErrorCode.UNKNOWN_TYPE) return;
      this.onProtocolError(err as ProtocolError);
      return;
    }
    if (m.kind.startsWith('ev-')) this.onEvent(m as Event);
    else this.onProtocolError(new ProtocolError(ErrorCode.UNEXPECTED, `${m.kind} with tag 0`, 8, type));
  }

  private wait<R>(tag: number, replyType: number): Promise<R> {
    const promise = new Promise<R>((resolve, reject) => {
      const slot = tag & this.mask;
      this.slots[slot] = { resolve: resolve, reject, replyType };
      this.slotTags[slot] = tag;
      this.count++;
    });
    this.sink.flush();
    return promise;
  }

  private take(tag: number): Pending | undefined {
    const slot = tag & this.mask;
    if (tag === 0 || this.slotTags[slot] !== tag) return undefined;
    const p = this.slots[slot];
    this.slots[slot] = undefined;
    this.slotTags[slot] = 0;
    this.count--;
    return p;
  }

  /** Tags 1..2^32-1 (0 is reserved for events), never one whose slot is taken: then the table grows. */
  private allocTag(): number {
    for (;;) {
      const t = this.nextTag;
      this.nextTag = t === 0xffffffff ? 1 : t + 1;
      if (this.slotTags[t & this.mask] === 0) return t;
      if (this.count * 2 >= this.mask) this.grow();
    }
  }

  private grow(): void {
    const size = (this.mask + 1) * 2;
    const slots = new Array<Pending | undefined>(size);
    const tags = new Uint32Array(size);
    for (let i = 0; i <= this.mask; i++) {
      const t = this.slotTags[i] as number;
      if (t === 0) continue;
      slots[t & (size - 1)] = this.slots[i];
      tags[t & (size - 1)] = t;
    }
    this.slots = slots;
    this.slotTags = tags;
    this.mask = size - 1;
  }
}
