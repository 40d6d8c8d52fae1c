import type { Board as Hardware } from '../src/board/index.js';
import type { Tracer } from '../src/regs/index.js';

/**
 * What the daemon serves: the hardware src/board builds from a device tree (MDIO buses of PHY models, I2C
 * buses with PSE chips and EEPROMs, PSE controllers with their driver lifecycles, one virtual clock), plus
 * one trace channel and the named scenario events that change it.
 */
export interface Board extends Hardware {
  /** Every model traces here (MDIO frames, PHY state, I2C, PSE lifecycle); events carry a dotted `type`. */
  trace: Tracer<BoardTraceEvent>;
  /** Scenario events by name; each may change the board (lifecycle, cable) when triggered or scheduled. */
  events: Map<string, () => void>;
  /** Timeline entries run on the virtual clock: [ms from start, event name]. */
  timeline: [number, string][];
  /** Tie virtual time to wall time from the start (a scenario with `clock: wall`). */
  realtime: boolean;
}

export type BoardTraceEvent = { type: string } & Record<string, unknown>;
