import type { PhyEvent } from '../phy/events.js';
import type { RegisterEvent } from '../regs/index.js';

/**
 * One MDIO transaction as the bus saw it. `devad` is present for Clause 45 frames; `responded` is false when
 * no device drove the line (the read then returns 0xffff); `fault` names an injected fault that applied.
 */
export type MdioEvent =
  | {
      type: 'mdio.read';
      t: number;
      bus: string;
      addr: number;
      devad?: number;
      reg: number;
      value: number;
      responded: boolean;
      fault?: MdioFaultKind;
    }
  | {
      type: 'mdio.write';
      t: number;
      bus: string;
      addr: number;
      devad?: number;
      reg: number;
      value: number;
      responded: boolean;
      fault?: MdioFaultKind;
    }
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
