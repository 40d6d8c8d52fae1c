import type { PhyStatus } from './phy.js';

/** Speed code most vendor status registers use in bits 15:14 (or 5:4): 10 = 1000, 01 = 100, 00 = 10. */
export function speedCode(status: PhyStatus): number {
  const s = status.resolution?.speed;
  return s === 1000 ? 2 : s === 100 ? 1 : 0;
}

/** Resolved = negotiation finished and the link is up, so speed/duplex fields are valid. */
export function resolved(status: PhyStatus): boolean {
  return status.up;
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
