import type { Register } from '../regs/index.js';
import type { PhyStatus } from './phy.js';

/** Speed code most vendor status registers use in bits 15:14 (or 5:4): 10 = 1000, 01 = 100, 00 = 10. */
export function speedCode(status: PhyStatus): number {
  const s = status.resolution?.speed;
  return s === 1000 ? 2 : s === 100 ? 1 : 0;
}

/** Interrupt causes common to vendor interrupt status registers, derived from a status transition. */
export interface StatusCauses {
  readonly linkChanged: boolean;
  readonly speedChanged: boolean;
  readonly duplexChanged: boolean;
  readonly autonegCompleted: boolean;
  readonly pageReceived: boolean;
}

export function statusCauses(
  previous: PhyStatus,
  next: PhyStatus,
  lastUp: PhyStatus | undefined,
): StatusCauses {
  const linkChanged = previous.up !== next.up;
  const speedChanged = next.up && (!lastUp || lastUp.resolution?.speed !== next.resolution?.speed);
  const duplexChanged = next.up && (!lastUp || lastUp.resolution?.duplex !== next.resolution?.duplex);
  const autonegCompleted = !previous.autonegComplete && next.autonegComplete;
  return {
    linkChanged,
    speedChanged,
    duplexChanged,
    autonegCompleted,
    pageReceived: autonegCompleted && next.partnerAutoneg,
  };
}

const CAUSES = ['linkChanged', 'speedChanged', 'duplexChanged', 'autonegCompleted', 'pageReceived'] as const;

/** Bit of each common cause in a vendor interrupt status register; a cause the part does not report is absent. */
export type CauseBits = Partial<Record<keyof StatusCauses, number>>;

/**
 * Raises a vendor interrupt status register's cause bits on each status transition. Speed and duplex changes
 * compare with the last link-up status, so a link that drops and returns at the same speed raises neither.
 */
export class InterruptCauses {
  #lastUp: PhyStatus | undefined;

  constructor(
    private readonly status: Register,
    private readonly bits: CauseBits,
  ) {}

  /** Call from the model's onStatusChange. */
  raise(previous: PhyStatus, next: PhyStatus): void {
    const causes = statusCauses(previous, next, this.#lastUp);
    let mask = 0;
    for (const cause of CAUSES) {
      const bit = this.bits[cause];
      if (bit !== undefined && causes[cause]) mask |= 1 << bit;
    }
    this.status.raise(mask);
    if (next.up) this.#lastUp = next;
  }
}
