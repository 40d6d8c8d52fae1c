import { VirtualClock } from '../clock.js';
import { compileDts } from '../dts/compile.js';
import { DtsError } from '../dts/diagnostics.js';
import { readDtb } from '../dts/dtb-read.js';
import type { DeviceTree } from '../dts/tree.js';
import type { MdioBus } from '../mdio/bus.js';
import type { LinkPartner, Phy, PhyTiming } from '../phy/index.js';
import { Board, type BoardMdioBus } from './board.js';
import type { BoardEvent } from './events.js';

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
 * The in-process emulation a unit test drives with no socket: the Board of a device tree (src/board/board.ts)
 * with shortcuts to its MDIO buses and PHYs by path, and the board's events kept when asked.
 *
 *   const emu = createMdioEmulation({ dts: '/dts-v1/; / { mdio { ... }; };' }, { record: true });
 *   emu.read('/mdio', 1, 2);                  // PHYID1
 *   emu.advance(ms(1500));                    // autoneg completes
 *   emu.phy('/mdio', 1).unplug();             // link events
 *   emu.events.filter((e) => e.type === 'mdio.read');
 */
export class MdioEmulation {
  readonly clock: VirtualClock;
  readonly board: Board;
  readonly events: BoardEvent[] = [];

  constructor(tree: DeviceTree, options: MdioEmulationOptions = {}) {
    this.clock = options.clock ?? new VirtualClock();
    this.board = new Board(tree, this.clock, {
      ...('partner' in options ? { partner: options.partner } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    if (options.record) this.board.events.on((e) => this.events.push(e));
  }

  /** The board's one event stream. */
  get trace(): Board['events'] {
    return this.board.events;
  }

  get buses(): MdioBus[] {
    return this.board.mdio.map((b) => b.bus);
  }

  /** The bus at a DT path (exact, or the unique bus whose path ends with it). */
  bus(path: string): MdioBus {
    return this.#find(path).bus;
  }

  phy(busPath: string, address: number): Phy {
    const phy = this.#find(busPath).phys.find((p) => p.address === address)?.phy;
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

  #find(path: string): BoardMdioBus {
    const buses = this.board.mdio;
    const exact = buses.find((b) => b.path === path);
    if (exact) return exact;
    const suffix = buses.filter((b) => b.path.endsWith(path.startsWith('/') ? path : `/${path}`));
    if (suffix.length === 1 && suffix[0]) return suffix[0];
    throw new RangeError(`no MDIO bus ${path} (have ${buses.map((b) => b.path).join(', ') || 'none'})`);
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
