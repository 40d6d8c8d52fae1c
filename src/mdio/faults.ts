/**
 * Bus-level fault injection: what a flaky board does to frames, independent of the PHY model.
 * - `no-response`: the PHY at `addr` stops driving MDIO (reads 0xffff, writes are lost).
 * - `bit-error`: reads of one register come back with `xor` bits flipped (`devad` for Clause 45 registers).
 * `count` limits how many matching transactions a fault affects (default: until removed).
 */
export type MdioFault =
  | { readonly kind: 'no-response'; readonly addr: number; readonly count?: number }
  | {
      readonly kind: 'bit-error';
      readonly addr: number;
      readonly reg: number;
      readonly devad?: number;
      readonly xor: number;
      readonly count?: number;
    };

export interface FaultHandle {
  remove(): void;
  /** Transactions the fault has affected so far. */
  readonly hits: number;
}

interface ActiveFault {
  readonly fault: MdioFault;
  hits: number;
  removed: boolean;
}

export class FaultSet {
  #faults: ActiveFault[] = [];

  get empty(): boolean {
    return this.#faults.length === 0;
  }

  add(fault: MdioFault): FaultHandle {
    const active: ActiveFault = { fault, hits: 0, removed: false };
    this.#faults.push(active);
    const remove = () => {
      active.removed = true;
      this.#faults = this.#faults.filter((f) => f !== active);
    };
    return {
      remove,
      get hits() {
        return active.hits;
      },
    };
  }

  clear(): void {
    this.#faults = [];
  }

  /** True if a no-response fault silences `addr` for this transaction (counts a hit). */
  silenced(addr: number): boolean {
    const f = this.#faults.find((x) => x.fault.kind === 'no-response' && x.fault.addr === addr);
    if (!f) return false;
    this.#hit(f);
    return true;
  }

  /** XOR mask to apply to a read of (addr, devad, reg); counts hits. */
  corruption(addr: number, reg: number, devad: number | undefined): number {
    let xor = 0;
    for (const f of [...this.#faults]) {
      const x = f.fault;
      if (x.kind === 'bit-error' && x.addr === addr && x.reg === reg && x.devad === devad) {
        xor ^= x.xor;
        this.#hit(f);
      }
    }
    return xor;
  }

  #hit(f: ActiveFault): void {
    f.hits++;
    if (f.fault.count !== undefined && f.hits >= f.fault.count)
      this.#faults = this.#faults.filter((x) => x !== f);
  }
}
