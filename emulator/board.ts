import type { VirtualClock } from '../src/clock.js';
import type { I2cBus } from '../src/i2c/index.js';
import type { MdioBus } from '../src/mdio/index.js';
import type { Phy } from '../src/phy/phy.js';
import type { ControllerLifecycle, PseControllerModel } from '../src/pse/index.js';
import type { Tracer } from '../src/regs/index.js';

/**
 * What the daemon serves, built from a device tree by emulator/dt-board.ts: MDIO buses (src/mdio) of PHY
 * models (src/phy), I2C buses (src/i2c) with PSE chips on them, PSE controllers as the kernel's PSE core sees
 * them (src/pse: PI model plus driver lifecycle), one virtual clock, one trace channel, named scenario events.
 */
export interface Board {
  clock: VirtualClock;
  /** Every model traces here (MDIO frames, PHY state, I2C, PSE lifecycle); events carry a dotted `type`. */
  trace: Tracer<BoardTraceEvent>;
  mdio: MdioBusSpec[];
  i2c: I2cBusSpec[];
  pse: PseControllerSpec[];
  /** Scenario events by name; each may change the board (lifecycle, cable) when triggered or scheduled. */
  events: Map<string, () => void>;
  /** Timeline entries run on the virtual clock: [ms from start, event name]. */
  timeline: [number, string][];
  /** Tie virtual time to wall time from the start (a scenario with `clock: wall`). */
  realtime: boolean;
}

export type BoardTraceEvent = { type: string } & Record<string, unknown>;

export interface MdioBusSpec {
  path: string;
  bus: MdioBus;
  phys: Map<number, { phy: Phy; path: string; c45: boolean; pses: string[] }>;
}

export interface I2cBusSpec {
  path: string;
  bus: I2cBus;
  devices: { addr: number; path: string; compatible: string }[];
}

export interface PseControllerSpec {
  path: string;
  compatible: string;
  lifecycle: ControllerLifecycle;
  model: PseControllerModel;
  piNames: string[];
}
