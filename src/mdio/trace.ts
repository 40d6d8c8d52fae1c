import type { PhyEvent } from '../phy/events.js';
import type { RegisterEvent } from '../regs/index.js';

/**
 * One MDIO data frame as the bus saw it. `devad` is present for Clause 45 frames; `responded` is false when
 * no device drove the line (a read then returns 0xffff); `fault` names an injected fault that applied.
 * A type alias, not an interface, so it stays assignable to `Record<string, unknown>` trace sinks.
 */
export type MdioDataFrame = {
  t: number;
  bus: string;
  addr: number;
  devad?: number;
  reg: number;
  value: number;
  responded: boolean;
  fault?: MdioFaultKind;
};

/** One MDIO transaction: a read or write data frame, or a Clause 45 address frame. */
export type MdioEvent =
  | ({ type: 'mdio.read' } & MdioDataFrame)
  | ({ type: 'mdio.write' } & MdioDataFrame)
  | {
      type: 'mdio.c45.address';
      t: number;
      bus: string;
      addr: number;
      devad: number;
      reg: number;
      responded: boolean;
    };

export type MdioFaultKind = 'no-response' | 'bit-error';

/** Everything the MDIO side of the emulator traces: bus frames, PHY state changes, register oddities. */
export type EmulationEvent = MdioEvent | PhyEvent | RegisterEvent;
