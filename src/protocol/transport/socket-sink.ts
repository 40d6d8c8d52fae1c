import type { Socket } from 'node:net';
import { FrameEncoder } from '../codec/encode.js';
import type { FrameSink } from '../session/sink.js';

/**
 * Binds a FrameEncoder to a socket: frames appended during one tick leave in one write (the encoder's slab
 * view, no copy). `flush()` from inside a data handler writes at the end of that handler's batch;
 * from anywhere else it schedules one write after the current synchronous run (a microtask).
 */
export class SocketSink implements FrameSink {
  readonly encoder: FrameEncoder;
  private scheduled = false;
  private closing = false;

  constructor(
    private readonly socket: Socket,
    peerMaxFrame: number,
  ) {
    this.encoder = new FrameEncoder(peerMaxFrame);
  }

  flush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // A microtask runs after the caller's synchronous burst, so requests pipelined in one loop share a write.
    queueMicrotask(() => {
      this.scheduled = false;
      this.writeNow();
    });
  }

  /** Writes what the encoder holds right away; returns false when the socket asks us to wait for 'drain'. */
  writeNow(): boolean {
    const bytes = this.encoder.take();
    if (bytes === undefined || this.socket.destroyed) return true;
    return this.socket.write(bytes);
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.writeNow();
    this.socket.end();
    // A peer that never reads would keep a half-closed socket forever; give it a moment, then cut.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  get isClosing(): boolean {
    return this.closing;
  }

  backlog(): number {
    return this.socket.writableLength + this.encoder.pending;
  }
}
