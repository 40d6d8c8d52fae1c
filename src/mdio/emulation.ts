import { buildMdioBuses, type BuiltMdioBus, type MdioBusInfo } from '../bindings/mdio.js';
import { VirtualClock } from '../clock.js';
import { compileDts } from '../dts/compile.js';
import { DtsError } from '../dts/diagnostics.js';
import { readDtb } from '../dts/dtb-read.js';
import type { DeviceTree } from '../dts/tree.js';
import type { LinkPartner, Phy, PhyTiming } from '../phy/index.js';
import { Tracer } from '../regs/trace.js';
import type { MdioBus } from './bus.js';
import type { EmulationEvent } from './trace.js';

export type EmulationSource =
  | { readonly dts: string; readonly fileName?: string }
  | { readonly dtb: Uint8Array }
  | { readonly tree: DeviceTree };

export interface MdioEmulationOptions {
  readonly clock?: VirtualClock;
  /** Partner on every cable at start (default: a gigabit switch port); `undefined` = cables unplugged. */
  readonly partner?: LinkPartner | undefined;
  readonly timing?: Partial<PhyTiming>;
  /** Keep every trace event in `events` (tests); subscribers via `trace.on` work either way. */
  readonly record?: boolean;
}

/**
 * The in-process emulation a unit test drives with no socket: MDIO buses and PHYs built from a device tree,
 * one virtual clock, one trace channel.
 *
 *   const emu = createMdioEmulation({ dts: '/dts-v1/; / { mdio { ... }; };' }, { record: true });
 *   emu.read('/mdio', 1, 2);                  // PHYID1
 *   emu.advance(ms(1500));                    // autoneg completes
 *   emu.phy('/mdio', 1).unplug();             // link events
 *   emu.events.filter((e) => e.type === 'mdio.read');
 */
export class MdioEmulation {
  readonly clock: VirtualClock;
  readonly trace = new Tracer<EmulationEvent>();
  readonly events: EmulationEvent[] = [];
  readonly #buses: BuiltMdioBus[];

  constructor(tree: DeviceTree, options: MdioEmulationOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    if (options.record) this.trace.on((e) => this.events.push(e));
    this.#buses = buildMdioBuses(tree, {
      clock: this.clock,
      trace: this.trace,
      ...('partner' in options ? { partner: options.partner } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
  }

  /** What the tree yielded: bus paths, PHY addresses, IDs and models. */
  get topology(): MdioBusInfo[] {
    return this.#buses.map((b) => b.info);
  }

  get buses(): MdioBus[] {
    return this.#buses.map((b) => b.bus);
  }

  /** The bus at a DT path (exact, or the unique bus whose path ends with it). */
  bus(path: string): MdioBus {
    return this.#find(path).bus;
  }

  phy(busPath: string, address: number): Phy {
    const phy = this.#find(busPath).phys.get(address);
    if (!phy) throw new RangeError(`no PHY at address ${address} on ${busPath}`);
    return phy;
  }

  read(busPath: string, address: number, reg: number): number {
    return this.bus(busPath).read(address, reg);
  }
  write(busPath: string, address: number, reg: number, value: number): void {
    this.bus(busPath).write(address, reg, value);
  }
  readC45(busPath: string, address: number, devad: number, reg: number): number {
    return this.bus(busPath).readC45(address, devad, reg);
  }
  writeC45(busPath: string, address: number, devad: number, reg: number, value: number): void {
    this.bus(busPath).writeC45(address, devad, reg, value);
  }

  /** Advances virtual time, firing autoneg and reset timers on the way. */
  advance(ns: number): void {
    this.clock.advance(ns);
  }

  #find(path: string): BuiltMdioBus {
    const exact = this.#buses.find((b) => b.info.path === path);
    if (exact) return exact;
    const suffix = this.#buses.filter((b) => b.info.path.endsWith(path.startsWith('/') ? path : `/${path}`));
    if (suffix.length === 1 && suffix[0]) return suffix[0];
    throw new RangeError(
      `no MDIO bus ${path} (have ${this.#buses.map((b) => b.info.path).join(', ') || 'none'})`,
    );
  }
}

/** Builds an emulation from DTS text, a DTB blob or a tree. DTS errors throw `DtsError` with diagnostics. */
export function createMdioEmulation(
  source: EmulationSource,
  options: MdioEmulationOptions = {},
): MdioEmulation {
  return new MdioEmulation(loadTree(source), options);
}

export function loadTree(source: EmulationSource): DeviceTree {
  if ('tree' in source) return source.tree;
  if ('dtb' in source) return readDtb(source.dtb);
  const result = compileDts(source.dts, { fileName: source.fileName ?? 'input.dts' });
  if (!result.ok || !result.tree) throw new DtsError(result.diagnostics, { files: result.files });
  return result.tree;
}
