import type { PhyOptions } from './phy.js';

/** What a catalogue model takes: the common options plus the exact identifier the DT compatible names. */
export interface ModelOptions extends PhyOptions {
  /**
   * The identifier to answer in registers 2/3. It must be in the model's family (equal to the model's ID
   * under the kernel driver's phy_id_mask): real parts report their silicon revision in the low bits, which
   * the driver masks away (marvell.c MARVELL_PHY_ID_MASK, dp83867.c PHY_ID_MATCH_MODEL).
   */
  readonly phyId?: number;
}

/** The identifier a model answers: `requested` when it is in the family, the model's own ID when absent. */
export function idInFamily(
  model: string,
  familyId: number,
  mask: number,
  requested: number | undefined,
): number {
  if (requested === undefined) return familyId >>> 0;
  if (((requested ^ familyId) & mask) !== 0)
    throw new RangeError(
      `${model}: PHY ID 0x${(requested >>> 0).toString(16).padStart(8, '0')} is not in its family ` +
        `(0x${(familyId >>> 0).toString(16).padStart(8, '0')} under mask 0x${(mask >>> 0).toString(16)})`,
    );
  return requested >>> 0;
}
