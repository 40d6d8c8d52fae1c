import type { VirtualClock } from '../src/clock.js';
import type { I2cBus } from '../src/i2c/index.js';
import type { Phy } from '../src/phy/phy.js';

/**
 * What the daemon serves: buses of real PHY models, I2C buses with their devices, PSE controllers with a
 * lifecycle (the kernel-side view: a controller exists for PHYs once its driver registered it), one virtual
 * clock and named scenario events. Built by emulator/default-board.ts today; by the device-tree builder of
 * src/bindings once it lands.
 */
export interface Board {
  clock: VirtualClock;
  mdio: MdioBusSpec[];
  i2c: I2cBusSpec[];
  pse: PseControllerSpec[];
  /** Scenario events by name; each may change the board (lifecycle, cable) when triggered or scheduled. */
  events: Map<string, () => void>;
  /** Timeline entries run on the virtual clock: [ms from start, event name]. */
  timeline: [number, string][];
}

export interface MdioBusSpec {
  path: string;
  phys: Map<number, { phy: Phy; path: string; pses: string[] }>;
}

export interface I2cBusSpec {
  path: string;
  bus: I2cBus;
  devices: { addr: number; path: string; compatible: string }[];
}

export interface PseControllerSpec {
  path: string;
  compatible: string;
  registered: boolean;
  pis: { name: string; adminEnabled: boolean; powerClass: number; powerMw: number; limitMw: number }[];
}
