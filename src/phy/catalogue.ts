import { Clause22Phy, genericClause22Config } from './c22-phy.js';
import { Clause45Phy, genericClause45Config } from './c45-phy.js';
import { Marvell88E1510, MARVELL_88E1510_ID, MARVELL_88E1510_MASK } from './marvell-88e1510.js';
import type { Phy, PhyOptions } from './phy.js';
import type { ModelOptions } from './phy-id.js';
import { RealtekRtl8211f, RTL8211F_ID, RTL8211F_MASK } from './realtek-rtl8211f.js';
import { DP83867_ID, DP83867_MASK, TiDp83867 } from './ti-dp83867.js';

export interface CatalogueEntry {
  readonly model: string;
  readonly phyId: number;
  /** Bits of the ID that identify the part (the kernel driver's phy_id_mask). */
  readonly mask: number;
  readonly clause: 22 | 45;
  readonly description: string;
  /** Builds the model answering `options.phyId` (any ID the entry matches), or the entry's own ID. */
  readonly create: (options: ModelOptions) => Phy;
}

/** Real parts; masks as their Linux drivers match them (marvell.c MARVELL_PHY_ID_MASK, realtek.c exact, dp83867.c). */
export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    model: 'marvell-88e1510',
    phyId: MARVELL_88E1510_ID,
    mask: MARVELL_88E1510_MASK,
    clause: 22,
    description: 'Marvell Alaska 88E1510',
    create: (o) => new Marvell88E1510(o),
  },
  {
    model: 'realtek-rtl8211f',
    phyId: RTL8211F_ID,
    mask: RTL8211F_MASK,
    clause: 22,
    description: 'Realtek RTL8211F',
    create: (o) => new RealtekRtl8211f(o),
  },
  {
    model: 'ti-dp83867',
    phyId: DP83867_ID,
    mask: DP83867_MASK,
    clause: 22,
    description: 'TI DP83867',
    create: (o) => new TiDp83867(o),
  },
];

export function findModel(phyId: number): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => ((phyId ^ e.phyId) & e.mask) === 0);
}

export interface CreatePhyOptions extends PhyOptions {
  /** Build a Clause 45 PHY (`ethernet-phy-ieee802.3-c45`). */
  readonly clause45?: boolean;
}

/**
 * The PHY for an identifier: a catalogue model when one matches under its mask (answering exactly `phyId`,
 * revision bits included, as the silicon the DT names would), otherwise the generic Clause 22 (or 45) PHY
 * answering with that identifier.
 */
export function createPhy(phyId: number, options: CreatePhyOptions): Phy {
  const entry = findModel(phyId);
  if (entry && (entry.clause === 45) === (options.clause45 ?? false))
    return entry.create({ ...options, phyId });
  if (options.clause45) return new Clause45Phy(options, genericClause45Config(phyId));
  return new Clause22Phy(options, genericClause22Config(phyId));
}
