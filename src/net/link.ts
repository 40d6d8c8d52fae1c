import type { FrameReceiver } from './frame.js';

/**
 * A cable between two frame endpoints (two emulated adapters, an adapter and a scenario's traffic
 * generator). What one side transmits into its end reaches the other side's receiver, while the cable is
 * connected. Frames are delivered synchronously, in order.
 */
export class EthernetCable {
  #connected = true;
  #delivered = 0;
  #dropped = 0;
  /** Give `endA` to side A as its transmit target; it delivers to `b`. */
  readonly endA: FrameReceiver;
  readonly endB: FrameReceiver;

  constructor(a: FrameReceiver, b: FrameReceiver) {
    this.endA = { receive: (frame) => this.#carry(b, frame) };
    this.endB = { receive: (frame) => this.#carry(a, frame) };
  }

  get connected(): boolean {
    return this.#connected;
  }
  /** Frames carried and frames lost while cut. */
  get stats(): { delivered: number; dropped: number } {
    return { delivered: this.#delivered, dropped: this.#dropped };
  }

  cut(): void {
    this.#connected = false;
  }
  reconnect(): void {
    this.#connected = true;
  }

  #carry(to: FrameReceiver, frame: Uint8Array): void {
    if (!this.#connected) {
      this.#dropped++;
      return;
    }
    this.#delivered++;
    to.receive(frame);
  }
}

/** A loopback plug: everything transmitted comes straight back to the same receiver. */
export function loopbackPlug(receiver: FrameReceiver): FrameReceiver {
  return { receive: (frame) => receiver.receive(frame) };
}

/** Collects frames (tests, scenario expectations). */
export class FrameCollector implements FrameReceiver {
  readonly frames: Uint8Array[] = [];
  receive(frame: Uint8Array): void {
    this.frames.push(frame.slice());
  }
}
