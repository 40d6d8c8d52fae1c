import type { EmulationEvent } from '../mdio/trace.js';
import type { LifecycleState } from '../pse/index.js';
import type { PiPowerState } from '../pse/controller.js';
import type { Action } from './actions.js';

/**
 * The one typed event stream of a running board: what the hardware did, on the board's clock (`t`, ns).
 * Dotted names as everywhere (style.md): the MDIO bus's and PHYs' own events, plus the I2C, PSE, USB and
 * action events that src/board adds. Nothing is widened to a record of unknowns: every consumer (the daemon's
 * trace ring, recording, the scenario engine, reports) switches on `type`.
 */
export type BoardEvent =
  | EmulationEvent
  /** One I2C transfer on a bus the board models: each message in order, with the bytes read. */
  | {
      type: 'i2c.xfer';
      t: number;
      bus: string;
      addr: number;
      write: readonly number[];
      read: readonly number[];
      ok: boolean;
    }
  /** The controller's driver lifecycle, as the kernel sees it (registered with the PSE framework or not). */
  | {
      type: 'pse.lifecycle';
      t: number;
      controller: string;
      from: LifecycleState;
      to: LifecycleState;
      reason: string;
    }
  /** A PI's power state changed (detection, classification, power on/off, a fault). */
  | {
      type: 'pse.port';
      t: number;
      controller: string;
      port: number;
      power: PiPowerState | 'fault';
      pdClass?: number;
      allocatedMw?: number;
      reason?: string;
    }
  /** The emulator attached or detached a USB device (usbredir connect/disconnect). */
  | { type: 'usb.attach'; t: number; device: string; attached: boolean }
  /** An action was applied (hardware) or handed to the guest. */
  | { type: 'board.action'; t: number; action: Action };

export type BoardEventType = BoardEvent['type'];
