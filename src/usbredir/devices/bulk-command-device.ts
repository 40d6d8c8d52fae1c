import { Status, type SpeedCode, type StatusCode } from '../codec/constants.js';
import type { DeviceDescriptors } from '../descriptors.js';
import { STALL, type TransferResult, type UsbDeviceModel } from '../device.js';

/** The endpoint addresses of a command/answer pair: bulk OUT takes commands, bulk IN carries answers. */
export interface BulkCommandEndpoints {
  readonly out: number;
  readonly in: number;
}

/**
 * A vendor adapter that takes commands on one bulk OUT endpoint and queues its answers on one bulk IN
 * endpoint (the Marvell USB-MDIO adapter, the CP2615 IOP). Other endpoints stall; an IN transfer NAKs until
 * an answer is queued, and the session is told when one is; a bus reset drops unread answers. Every command
 * transfer succeeds at the USB level: what the device makes of the bytes is its own business.
 */
export abstract class BulkCommandDevice implements UsbDeviceModel {
  abstract readonly speed: SpeedCode;
  abstract readonly descriptors: DeviceDescriptors;
  readonly #answers: Uint8Array[] = [];
  #notify: ((endpoint: number) => void) | undefined;

  constructor(private readonly endpoints: BulkCommandEndpoints) {}

  /** One command as the guest sent it on bulk OUT. */
  protected abstract command(data: Uint8Array): void;

  /** Queues an answer for bulk IN and tells the session, which completes a NAKed IN transfer with it. */
  protected answer(data: Uint8Array): void {
    this.#answers.push(data);
    this.#notify?.(this.endpoints.in);
  }

  setInNotifier(notify: (endpoint: number) => void): void {
    this.#notify = notify;
  }

  reset(): void {
    this.#answers.length = 0;
  }

  dataOut(endpoint: number, data: Uint8Array): StatusCode {
    if (endpoint !== this.endpoints.out) return Status.stall;
    this.command(data);
    return Status.success;
  }

  dataIn(endpoint: number): TransferResult | undefined {
    if (endpoint !== this.endpoints.in) return STALL;
    const next = this.#answers.shift();
    // Nothing to say yet: NAK until a command queues an answer.
    return next === undefined ? undefined : { status: Status.success, data: next };
  }
}
