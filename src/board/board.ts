import { buildMdioBuses, type MdioBusKind } from '../bindings/mdio.js';
import {
  checkPseBindings,
  type PhyPseLink,
  type PseBindingReport,
  type PseControllerKind,
} from '../bindings/pse.js';
import type { VirtualClock } from '../clock.js';
import { getProperty, nodePath, stringsOf, walk, type DeviceTree } from '../dts/tree.js';
import type { MdioBus } from '../mdio/bus.js';
import type { EmulationEvent } from '../mdio/trace.js';
import type { LinkPartner, Phy } from '../phy/index.js';
import { ControllerLifecycle, PseControllerModel } from '../pse/index.js';
import type { TraceSink } from '../regs/trace.js';
import { buildI2cBuses, type BoardI2cBus } from './i2c-devices.js';

export interface BoardPhy {
  readonly path: string;
  readonly busPath: string;
  readonly address: number;
  readonly phy: Phy;
  readonly clause45: boolean;
  /** ID an `ethernet-phy-idAAAA.BBBB` compatible gives: Linux then creates the device without reading registers 2/3. */
  readonly idFromCompatible?: number;
  /** The PHY's `pses` as src/bindings/pse.ts resolved them; Linux uses the first (fwnode_find_pse_control(), index 0). */
  readonly pses: readonly PhyPseLink[];
}

export interface BoardMdioBus {
  readonly path: string;
  readonly kind: MdioBusKind;
  readonly bus: MdioBus;
  /** By address, ascending. */
  readonly phys: readonly BoardPhy[];
  /** Kernel module that drives the bus (a USB adapter's driver); undefined for a bus probed at boot. */
  readonly module?: string;
}

export interface BoardPse {
  readonly path: string;
  /** The node's first compatible string. */
  readonly compatible: string;
  readonly kind: PseControllerKind;
  /** Kernel module of its driver (drivers/net/pse-pd/Makefile object names). */
  readonly module: string;
  /** When the kernel sees the controller registered; starts `present`, registers on trigger(). */
  readonly lifecycle: ControllerLifecycle;
  readonly model: PseControllerModel;
  /** One name per PI: the `pse-pi@N` node name, or `piN` for a `#pse-cells` index. */
  readonly piNames: readonly string[];
}

/**
 * The emulated hardware of a device tree, shared by the socket daemon (emulator/) and the emulator-only
 * scenario runner and replay (src/scenario/): MDIO buses and PHYs, PSE controllers with their driver
 * lifecycles, I2C buses with the chips on them, one virtual clock.
 */
export interface Board {
  readonly clock: VirtualClock;
  readonly tree: DeviceTree;
  readonly bindings: PseBindingReport;
  /** In tree order. */
  readonly mdio: readonly BoardMdioBus[];
  readonly i2c: readonly BoardI2cBus[];
  /** Enabled PSE controllers, in tree order. */
  readonly pse: readonly BoardPse[];
  busAt(path: string): BoardMdioBus | undefined;
  phyAt(path: string): BoardPhy | undefined;
  pseAt(path: string): BoardPse | undefined;
  /** `&label` or `/path` to the node's full path; undefined when the tree has no such node. */
  resolve(ref: string): string | undefined;
}

export interface BoardOptions {
  readonly clock: VirtualClock;
  /** MDIO frames, PHY state and register events. PSE lifecycles report through their own subscribe(). */
  readonly trace?: TraceSink<EmulationEvent>;
  /** Link partner cabled to every PHY at start; `undefined` leaves cables empty. Default: a gigabit switch port. */
  readonly partner?: LinkPartner | undefined;
}

/** Modules of the PSE drivers by controller kind (drivers/net/pse-pd/Makefile; the generic core is built in). */
export const PSE_DRIVER_MODULES: Readonly<Record<PseControllerKind, string>> = {
  'podl-pse-regulator': 'pse_regulator',
  'ti,tps23881': 'tps23881',
  'microchip,pd692x0': 'pd692x0',
  generic: 'pse_core',
};

/** USB-MDIO adapters by USB compatible, as drivers/net/mdio/mdio-mvusb.c matches them: the bus waits for the module. */
const BUS_DRIVER_MODULES: Readonly<Record<string, string>> = { 'usb1286,1fa4': 'mdio_mvusb' };

/**
 * Builds the board: buses and PHYs as src/bindings/mdio.ts reads them (PHY models by masked ID, the one
 * DEFAULT_PHY_ID for nodes without an ID compatible), PSE controllers as src/bindings/pse.ts reads them, each
 * with a PI model and an `on-trigger` lifecycle, and TPS23881/24C02 chips on their I2C buses.
 */
export function buildBoard(tree: DeviceTree, options: BoardOptions): Board {
  const { clock } = options;
  const bindings = checkPseBindings(tree.root);
  const linksOf = new Map<string, PhyPseLink[]>();
  for (const l of bindings.links) linksOf.set(l.phy, [...(linksOf.get(l.phy) ?? []), l]);

  const built = buildMdioBuses(tree, {
    clock,
    ...(options.trace ? { trace: options.trace } : {}),
    ...('partner' in options ? { partner: options.partner } : {}),
  });
  const mdio: BoardMdioBus[] = built.map(({ info, bus, phys }) => {
    const boardPhys: BoardPhy[] = [];
    for (const p of info.phys) {
      const phy = phys.get(p.address);
      if (!phy) continue;
      boardPhys.push({
        path: p.path,
        busPath: info.path,
        address: p.address,
        phy,
        clause45: p.clause45,
        ...(p.idSource === 'compatible' ? { idFromCompatible: p.phyId } : {}),
        pses: linksOf.get(p.path) ?? [],
      });
    }
    const compatible = getProperty(info.node, 'compatible');
    const module = (compatible ? stringsOf(compatible.value) : [])
      .map((c) => BUS_DRIVER_MODULES[c.toLowerCase()])
      .find((m) => m !== undefined);
    return { path: info.path, kind: info.kind, bus, phys: boardPhys, ...(module ? { module } : {}) };
  });

  const pse: BoardPse[] = bindings.controllers
    .filter((c) => c.enabled)
    .map((c) => ({
      path: c.path,
      compatible: c.compatible[0] ?? c.kind,
      kind: c.kind,
      module: PSE_DRIVER_MODULES[c.kind],
      lifecycle: new ControllerLifecycle(clock, { controller: c.path, schedule: { kind: 'on-trigger' } }),
      model: new PseControllerModel(c.pis.length),
      piNames: c.pis.map((p) => p.path?.split('/').pop() ?? `pi${p.index}`),
    }));
  for (const c of pse) c.lifecycle.start();
  const i2c = buildI2cBuses(tree.root, (path) => pse.find((c) => c.path === path)?.lifecycle);

  const phyByPath = new Map(mdio.flatMap((b) => b.phys.map((p) => [p.path, p] as const)));
  const labels = new Map<string, string>();
  const known = new Set<string>();
  walk(tree.root, (n) => {
    const path = nodePath(n);
    known.add(path);
    for (const l of n.labels) labels.set(l, path);
  });
  return {
    clock,
    tree,
    bindings,
    mdio,
    i2c,
    pse,
    busAt: (path) => mdio.find((b) => b.path === path),
    phyAt: (path) => phyByPath.get(path),
    pseAt: (path) => pse.find((c) => c.path === path),
    resolve: (ref) => {
      const path = ref.startsWith('&') ? labels.get(ref.slice(1)) : ref;
      return path !== undefined && known.has(path) ? path : undefined;
    },
  };
}
