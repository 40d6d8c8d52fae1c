import type { FrameEncoder } from '../codec/encode.js';

/** What a session needs from its transport: somewhere to put frames, a way to send them, and a way out. */
export interface FrameSink {
  readonly encoder: FrameEncoder;
  /** Sends what the encoder holds, now or at the end of this tick. */
  flush(): void;
  /** Sends what the encoder holds, then closes the connection. */
  close(): void;
  /** Bytes accepted for sending but not yet handed to the kernel: the measure of a slow reader. */
  backlog(): number;
}
