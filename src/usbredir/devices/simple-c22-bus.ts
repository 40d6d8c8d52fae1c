import type { Clause22Bus } from './buses.js';

export interface SimplePhy {
  readonly addr: number;
  /** Initial register values; unlisted registers read 0. */
  readonly registers: Readonly<Record<number, number>>;
}

export type SimpleBusAccess = {
  readonly op: 'read' | 'write';
  readonly addr: number;
  readonly reg: number;
  readonly value: number;
};

/**
 * A stand-in Clause 22 bus of plain register tables, for smoke runs until the real PHY models
 * are wired in. Empty addresses read 0xffff (the bus pulls MDIO high, 802.3 22.2.4); writes to an
 * empty address go nowhere.
 */
export class SimpleClause22Bus implements Clause22Bus {
  private readonly phys = new Map<number, Map<number, number>>();
  constructor(
    phys: readonly SimplePhy[],
    private readonly trace?: (access: SimpleBusAccess) => void,
  ) {
    for (const phy of phys) {
      this.phys.set(phy.addr, new Map(Object.entries(phy.registers).map(([r, v]) => [Number(r), v])));
    }
  }
  read(addr: number, reg: number): number {
    const regs = this.phys.get(addr);
    const value = regs ? (regs.get(reg) ?? 0) : 0xffff;
    this.trace?.({ op: 'read', addr, reg, value });
    return value;
  }
  write(addr: number, reg: number, value: number): void {
    this.phys.get(addr)?.set(reg, value & 0xffff);
    this.trace?.({ op: 'write', addr, reg, value });
  }
}

/** A PHY answering with the Marvell 88E1510-family ID 0x01410dd1 (PHYSID1/PHYSID2), link up. */
export function marvellLikePhy(addr: number): SimplePhy {
  return {
    addr,
    registers: {
      0x00: 0x1140, // BMCR: AN enable, full duplex, 1000 Mb/s select
      0x01: 0x796d, // BMSR: 10/100 abilities, ext status, AN complete, link up, ext caps
      0x02: 0x0141, // PHYSID1
      0x03: 0x0dd1, // PHYSID2
      0x04: 0x01e1, // ANAR
      0x05: 0xc1e1, // ANLPAR
      0x0f: 0x3000, // ESTATUS: 1000BASE-T full and half
    },
  };
}
