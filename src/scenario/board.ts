import { checkPseBindings, type PseBindingReport, type PseControllerKind } from '../bindings/pse.js';
import type { VirtualClock } from '../clock.js';
import {
  cellsOf,
  getProperty,
  liveChildren,
  nodePath,
  stringsOf,
  walk,
  type DeviceTree,
  type DtNode,
} from '../dts/tree.js';
import { MdioBus } from '../mdio/bus.js';
import type { EmulationEvent } from '../mdio/trace.js';
import { Clause22Phy, genericClause22Config } from '../phy/c22-phy.js';
import { GIGABIT_SWITCH_PORT } from '../phy/partner.js';
import type { Phy } from '../phy/phy.js';
import { PseControllerModel } from '../pse/controller.js';
import type { TraceSink } from '../regs/trace.js';
import { ConfigError } from './errors.js';

/**
 * The emulated hardware a device tree describes, for emulator-only runs and replay verification: every
 * MDIO bus node (a node with `ethernet-phy@N` children) becomes an `MdioBus` with a PHY model per child,
 * every PSE controller (src/bindings/pse.ts) a `PseControllerModel` with one PI per line.
 *
 * PHY model choice: the generic Clause 22 PHY answering the ID of the `ethernet-phy-idAAAA.BBBB` compatible
 * when present, otherwise the Marvell 88E1510's ID, the part the QEMU runner's USB adapter serves.
 */
/** Marvell 88E1510 (drivers/net/phy/marvell.c MARVELL_PHY_ID_88E1510 with revision 1). */
export const DEFAULT_PHY_ID = 0x01410dd1;

export interface BoardPhy {
  path: string;
  busPath: string;
  addr: number;
  phy: Phy;
  clause45: boolean;
  /** PHY ID given by the compatible: Linux then creates the device without reading registers 2 and 3. */
  idFromCompatible?: number;
  /** Controller path and PI of the PHY's `pses`, when it has one that resolves. */
  pse?: { controller: string; pi: number };
}

export interface BoardBus {
  path: string;
  bus: MdioBus;
  phys: BoardPhy[];
  /** Kernel module that drives the bus (a USB adapter's driver); undefined for a bus probed at boot. */
  module?: string;
}

export interface BoardPse {
  path: string;
  kind: PseControllerKind;
  /** Kernel module of its driver (drivers/net/pse-pd/Makefile object names). */
  module: string;
  model: PseControllerModel;
}

export interface ScenarioBoard {
  clock: VirtualClock;
  tree: DeviceTree;
  buses: BoardBus[];
  pses: BoardPse[];
  bindings: PseBindingReport;
  /** `&label` or `/path` to the node's full path; a ConfigError naming `field` when nothing matches. */
  resolve(ref: string, field: string): string;
  phy(path: string): BoardPhy | undefined;
  pse(path: string): BoardPse | undefined;
}

export interface BoardOptions {
  clock: VirtualClock;
  trace?: TraceSink<EmulationEvent>;
}

const PHY_NODE = /^ethernet-phy@[0-9a-f]+$/i;
const ID_COMPATIBLE = /^ethernet-phy-id([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const PSE_MODULES: Record<PseControllerKind, string> = {
  'podl-pse-regulator': 'pse_regulator',
  'ti,tps23881': 'tps23881',
  'microchip,pd692x0': 'pd692x0',
  generic: 'pse_core',
};
/** USB-MDIO adapters by USB ID, as drivers/net/mdio/mdio-mvusb.c matches them. */
const BUS_MODULES: Record<string, string> = { 'usb1286,1fa4': 'mdio_mvusb' };

export function buildBoard(tree: DeviceTree, options: BoardOptions): ScenarioBoard {
  const bindings = checkPseBindings(tree.root);
  const linkOf = new Map(bindings.links.map((l) => [l.phy, l]));
  const buses: BoardBus[] = [];
  const byPhy = new Map<string, BoardPhy>();
  walk(tree.root, (node) => {
    if (!available(node)) return;
    const phyNodes = liveChildren(node).filter((c) => PHY_NODE.test(c.name) && available(c));
    if (phyNodes.length === 0) return;
    const path = nodePath(node);
    const bus = new MdioBus({
      name: path,
      clock: options.clock,
      ...(options.trace ? { trace: options.trace } : {}),
    });
    const phys: BoardPhy[] = [];
    for (const child of phyNodes) {
      const reg = getProperty(child, 'reg');
      const addr = reg ? cellsOf(reg.value)[0] : undefined;
      const phyPath = nodePath(child);
      if (addr === undefined || addr > 31)
        throw new ConfigError('SCN008', 'dts', `${phyPath}: reg must be a PHY address 0-31`);
      const compatible = compatibles(child);
      const idMatch = compatible.map((c) => ID_COMPATIBLE.exec(c)).find((m) => m);
      const idFromCompatible = idMatch ? Number.parseInt(`${idMatch[1]}${idMatch[2]}`, 16) : undefined;
      const clause45 = compatible.includes('ethernet-phy-ieee802.3-c45');
      if (clause45)
        throw new ConfigError(
          'SCN008',
          'dts',
          `${phyPath}: Clause 45 PHYs are not modelled in emulator-only runs yet`,
        );
      const phy = new Clause22Phy(
        {
          clock: options.clock,
          name: phyPath,
          seed: addr + 1,
          ...(options.trace ? { trace: options.trace } : {}),
        },
        genericClause22Config(idFromCompatible ?? DEFAULT_PHY_ID),
      );
      phy.setPartner(GIGABIT_SWITCH_PORT);
      bus.attach(addr, phy);
      const link = linkOf.get(phyPath);
      const entry: BoardPhy = {
        path: phyPath,
        busPath: path,
        addr,
        phy,
        clause45,
        ...(idFromCompatible !== undefined ? { idFromCompatible } : {}),
        ...(link ? { pse: { controller: link.controller, pi: link.pi } } : {}),
      };
      phys.push(entry);
      byPhy.set(phyPath, entry);
    }
    const module = compatibles(node)
      .map((c) => BUS_MODULES[c.toLowerCase()])
      .find((m) => m);
    buses.push({ path, bus, phys, ...(module ? { module } : {}) });
  });
  const pses: BoardPse[] = bindings.controllers.map((c) => ({
    path: c.path,
    kind: c.kind,
    module: PSE_MODULES[c.kind],
    model: new PseControllerModel(Math.max(1, c.nrLines ?? c.pis.length)),
  }));
  const labels = new Map<string, string>();
  walk(tree.root, (n) => n.labels.forEach((l) => labels.set(l, nodePath(n))));
  const known = new Set<string>();
  walk(tree.root, (n) => known.add(nodePath(n)));
  return {
    clock: options.clock,
    tree,
    buses,
    pses,
    bindings,
    resolve(ref, field) {
      const path = ref.startsWith('&') ? labels.get(ref.slice(1)) : ref;
      if (path === undefined)
        throw new ConfigError('SCN006', field, `no node has the label ${ref} in the scenario's device tree`);
      if (!known.has(path))
        throw new ConfigError('SCN006', field, `no node at ${path} in the scenario's device tree`);
      return path;
    },
    phy: (path) => byPhy.get(path),
    pse: (path) => pses.find((p) => p.path === path),
  };
}

function compatibles(node: DtNode): string[] {
  const p = getProperty(node, 'compatible');
  return p ? stringsOf(p.value) : [];
}

/** of_device_is_available(): no status, or "okay"/"ok". */
function available(node: DtNode): boolean {
  const s = getProperty(node, 'status');
  const v = s ? stringsOf(s.value)[0] : undefined;
  return v === undefined || v === 'okay' || v === 'ok';
}
