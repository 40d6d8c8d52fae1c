import type { Clock } from '../clock.js';
import { BindingError } from './errors.js';
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
import {
  createPhy,
  findModel,
  GIGABIT_SWITCH_PORT,
  type LinkPartner,
  type Phy,
  type PhyTiming,
} from '../phy/index.js';
import type { TraceSink } from '../regs/trace.js';

/**
 * What MDIO device-tree nodes mean, as Linux reads them: drivers/net/mdio/of_mdio.c (of_mdiobus_register,
 * of_mdiobus_child_is_phy, of_mdio_parse_addr), drivers/net/phy/phy_device.c (of_get_phy_id), and the USB
 * adapters whose drivers hand their own node (mdio-mvusb.c) or an `mdio` child (lan78xx.c) to the bus.
 */

export const MdioConfigCode = {
  /** PHY child without a usable `reg` (one cell, 0-31). */
  BAD_ADDRESS: 'MDIO1001',
  /** Two PHY children at the same address on one bus. */
  DUPLICATE_ADDRESS: 'MDIO1002',
  /** `compatible = "ethernet-phy-id..."` not of the form ethernet-phy-idAAAA.BBBB. */
  BAD_PHY_ID: 'MDIO1003',
  /** A bus child that is not a PHY (a switch, a PCS...): the emulator has no model for it. */
  UNSUPPORTED_DEVICE: 'MDIO1004',
  /** A property with the wrong shape (`max-speed` not one cell, ...). */
  BAD_PROPERTY: 'MDIO1005',
} as const;
export type MdioConfigCodeValue = (typeof MdioConfigCode)[keyof typeof MdioConfigCode];

/** Compatibles of MDIO controllers whose node is the bus (Documentation/devicetree/bindings/net/*mdio*). */
export const MDIO_CONTROLLER_COMPATIBLES: readonly string[] = [
  'virtual,mdio-gpio',
  'snps,dwmac-mdio',
  'snps,dwc-qos-ethernet-mdio',
  'marvell,orion-mdio',
  'marvell,xmdio',
  'fsl,etsec2-mdio',
  'fsl,fman-memac-mdio',
  'fsl,fman-xmdio',
  'ti,davinci_mdio',
  'ti,cpsw-mdio',
  'brcm,unimac-mdio',
  'brcm,iproc-mdio',
  'allwinner,sun4i-a10-mdio',
  'amlogic,g12a-mdio-mux',
  'cdns,macb-mdio',
  'mediatek,mt7620-mdio',
  'microchip,mscc-miim',
  'hisilicon,hns-mdio',
  'ethernet-mdio-bus',
];

/** USB devices whose own node is the MDIO bus, PHYs directly below (mdio-mvusb.c: 1286:1fa4). */
export const USB_MDIO_ADAPTERS: readonly string[] = ['usb1286,1fa4'];
/** USB Ethernet devices that register an MDIO bus on their `mdio` child (lan78xx.c: LAN7800/7801/7850). */
export const USB_ETHERNET_WITH_MDIO_CHILD: readonly string[] = ['usb424,7800', 'usb424,7801', 'usb424,7850'];

export type MdioBusKind = 'mdio-node' | 'controller' | 'usb-adapter' | 'usb-ethernet';

export interface PhyNodeInfo {
  readonly path: string;
  readonly node: DtNode;
  readonly address: number;
  /** The identifier the emulated PHY answers with. */
  readonly phyId: number;
  /** Where the identifier came from: the compatible, or the emulator's default for ID-less nodes. */
  readonly idSource: 'compatible' | 'default';
  readonly clause45: boolean;
  /** Catalogue model name, or `generic-c22`/`generic-c45`. */
  readonly model: string;
  readonly maxSpeed?: number;
  readonly interrupts?: readonly number[];
  readonly brokenTurnAround: boolean;
  readonly resetGpios?: readonly number[];
}

export interface MdioBusInfo {
  readonly path: string;
  readonly node: DtNode;
  readonly kind: MdioBusKind;
  readonly phys: readonly PhyNodeInfo[];
}

/**
 * The one identifier a PHY node without an `ethernet-phy-idAAAA.BBBB` compatible answers, everywhere (daemon,
 * scenario runner, replay, QEMU). Linux reads such a PHY's ID from registers 2/3 (fwnode_mdio.c
 * fwnode_mdiobus_register_phy() -> get_phy_device()), so some device must answer: the generic Clause 22 (or
 * 45) PHY with ID 0, which no catalogue model claims, so the kernel binds its Generic PHY driver. A node that
 * wants a vendor model names it by ID compatible. (phy_device.c: a C22 ID of 0 makes get_phy_device() also
 * try Clause 45 IDs on a bus whose probe_capabilities include C45; none of the emulated adapters sets them.)
 */
export const DEFAULT_PHY_ID = 0x00000000;

const compatibles = (n: DtNode): string[] => {
  const p = getProperty(n, 'compatible');
  return p ? stringsOf(p.value) : [];
};
const available = (n: DtNode): boolean => {
  const s = getProperty(n, 'status');
  if (!s) return true;
  const v = stringsOf(s.value)[0];
  return v === 'okay' || v === 'ok';
};
const baseName = (n: DtNode): string => n.name.split('@')[0] ?? '';
/** Documentation/devicetree/bindings/net/mdio.yaml `$nodename`: mdio, mdio-bus, mdio-external, mdio@..., mdio-0. */
const MDIO_NODE_NAME = /^mdio(-(bus|external))?(@.+|-([0-9]+))?$/;

/** Classifies a node as an MDIO bus, or returns undefined. */
export function mdioBusKind(node: DtNode): MdioBusKind | undefined {
  const compat = compatibles(node);
  if (compat.some((c) => USB_MDIO_ADAPTERS.includes(c))) return 'usb-adapter';
  if (compat.some((c) => MDIO_CONTROLLER_COMPATIBLES.includes(c))) return 'controller';
  if (MDIO_NODE_NAME.test(node.name) && node.parent) {
    const parentCompat = compatibles(node.parent);
    if (parentCompat.some((c) => USB_ETHERNET_WITH_MDIO_CHILD.includes(c))) return 'usb-ethernet';
    return 'mdio-node';
  }
  return undefined;
}

/** of_mdiobus_child_is_phy(): an ethernet-phy compatible, or no compatible at all. */
function childIsPhy(child: DtNode): boolean {
  const compat = compatibles(child);
  if (compat.length === 0) return true;
  return compat.some(
    (c) =>
      c.startsWith('ethernet-phy-id') ||
      c === 'ethernet-phy-ieee802.3-c45' ||
      c === 'ethernet-phy-ieee802.3-c22',
  );
}

function parsePhyId(child: DtNode): number | undefined {
  for (const c of compatibles(child)) {
    if (!c.startsWith('ethernet-phy-id')) continue;
    // of_get_phy_id(): sscanf(cp, "ethernet-phy-id%4x.%4x", &upper, &lower)
    const m = /^ethernet-phy-id([0-9a-fA-F]{1,4})\.([0-9a-fA-F]{1,4})$/.exec(c);
    if (!m?.[1] || !m[2])
      throw new BindingError(
        MdioConfigCode.BAD_PHY_ID,
        child,
        `"${c}" is not ethernet-phy-idAAAA.BBBB`,
        getProperty(child, 'compatible'),
      );
    return ((Number.parseInt(m[1], 16) << 16) | Number.parseInt(m[2], 16)) >>> 0;
  }
  return undefined;
}

function phyInfo(child: DtNode): PhyNodeInfo {
  const path = nodePath(child);
  const reg = getProperty(child, 'reg');
  const cells = reg ? cellsOf(reg.value) : [];
  // of_mdio_parse_addr(): one cell, below PHY_MAX_ADDR
  if (!reg || cells.length !== 1 || reg.value.bytes.length !== 4)
    throw new BindingError(
      MdioConfigCode.BAD_ADDRESS,
      child,
      'a PHY node needs reg = <address> (one cell)',
      reg,
    );
  const address = cells[0] ?? 0;
  if (address > 31)
    throw new BindingError(MdioConfigCode.BAD_ADDRESS, child, `PHY address ${address} is outside 0-31`, reg);
  const compat = compatibles(child);
  const clause45 = compat.includes('ethernet-phy-ieee802.3-c45');
  const id = parsePhyId(child);
  const phyId = id ?? DEFAULT_PHY_ID;
  const entry = findModel(phyId);
  const model =
    entry && (entry.clause === 45) === clause45 ? entry.model : clause45 ? 'generic-c45' : 'generic-c22';
  const maxSpeedProp = getProperty(child, 'max-speed');
  let maxSpeed: number | undefined;
  if (maxSpeedProp) {
    const v = cellsOf(maxSpeedProp.value);
    if (v.length !== 1 || maxSpeedProp.value.bytes.length !== 4)
      throw new BindingError(MdioConfigCode.BAD_PROPERTY, child, 'max-speed must be one cell', maxSpeedProp);
    maxSpeed = v[0];
  }
  const interrupts = getProperty(child, 'interrupts');
  const resetGpios = getProperty(child, 'reset-gpios');
  return {
    path,
    node: child,
    address,
    phyId,
    idSource: id === undefined ? 'default' : 'compatible',
    clause45,
    model,
    brokenTurnAround: getProperty(child, 'broken-turn-around') !== undefined,
    ...(maxSpeed !== undefined ? { maxSpeed } : {}),
    ...(interrupts ? { interrupts: cellsOf(interrupts.value) } : {}),
    ...(resetGpios ? { resetGpios: cellsOf(resetGpios.value) } : {}),
  };
}

/** Every available MDIO bus in the tree with its PHY children; throws BindingError on what cannot be modelled. */
export function findMdioBuses(tree: DeviceTree): MdioBusInfo[] {
  const buses: MdioBusInfo[] = [];
  walk(tree.root, (node) => {
    if (!available(node)) return;
    const kind = mdioBusKind(node);
    if (!kind) return;
    const phys: PhyNodeInfo[] = [];
    const seen = new Map<number, string>();
    for (const child of liveChildren(node)) {
      if (!available(child)) continue;
      if (!getProperty(child, 'reg') && baseName(child) !== 'ethernet-phy') continue; // not an MDIO device
      if (!childIsPhy(child))
        throw new BindingError(
          MdioConfigCode.UNSUPPORTED_DEVICE,
          child,
          `no model for MDIO device "${compatibles(child).join('", "')}"`,
          getProperty(child, 'compatible'),
        );
      const info = phyInfo(child);
      const other = seen.get(info.address);
      if (other)
        throw new BindingError(
          MdioConfigCode.DUPLICATE_ADDRESS,
          child,
          `address ${info.address} is already used by ${other}`,
          getProperty(child, 'reg'),
        );
      seen.set(info.address, info.path);
      phys.push(info);
    }
    buses.push({ path: nodePath(node), node, kind, phys: phys.sort((a, b) => a.address - b.address) });
  });
  return buses;
}

export interface BuildMdioOptions {
  readonly clock: Clock;
  readonly trace?: TraceSink<EmulationEvent>;
  /** Link partner connected to every PHY at start; `undefined` leaves cables empty. Default: a gigabit switch port. */
  readonly partner?: LinkPartner | undefined;
  readonly timing?: Partial<PhyTiming>;
}

export interface BuiltMdioBus {
  readonly info: MdioBusInfo;
  readonly bus: MdioBus;
  /** PHYs by address. */
  readonly phys: ReadonlyMap<number, Phy>;
}

/** Builds one `MdioBus` per bus node, with a PHY model at each PHY child's address. */
export function buildMdioBuses(tree: DeviceTree, options: BuildMdioOptions): BuiltMdioBus[] {
  const partner = 'partner' in options ? options.partner : GIGABIT_SWITCH_PORT;
  return findMdioBuses(tree).map((info) => {
    const bus = new MdioBus({
      name: info.path,
      clock: options.clock,
      ...(options.trace ? { trace: options.trace } : {}),
    });
    const phys = new Map<number, Phy>();
    for (const p of info.phys) {
      const phy = createPhy(p.phyId, {
        clock: options.clock,
        name: p.path,
        clause45: p.clause45,
        seed: 0x100 + p.address,
        ...(options.trace ? { trace: options.trace } : {}),
        ...(options.timing ? { timing: options.timing } : {}),
      });
      phy.setPartner(partner);
      bus.attach(p.address, phy);
      phys.set(p.address, phy);
    }
    return { info, bus, phys };
  });
}
