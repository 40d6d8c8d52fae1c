import { getProperty, liveChildren, nodeBasename, nodeUnitAddress, type LiveNode, type LiveProperty } from './build.js';
import type { CheckDef, Fail } from './checks.js';

/**
 * dtc checks.c bus checks: a "bridge" check marks a node as a PCI, simple-bus, I2C or SPI bus (dtc's
 * `node->bus`), then a "reg" check compares each child's unit address with its reg. All are warnings: they
 * change neither output bytes nor pass/fail, only what is printed.
 */

export type BusKind = 'pci' | 'simple-bus' | 'i2c' | 'spi' | 'graph-port' | 'graph-ports';

// Nodes are fresh objects on every compile, so a WeakMap keyed by node is dtc's per-node `bus` field.
const buses = new WeakMap<LiveNode, BusKind>();
export const busOf = (node: LiveNode): BusKind | undefined => buses.get(node);
export const setBus = (node: LiveNode, bus: BusKind): void => {
  buses.set(node, bus);
};

export const cellAt = (p: LiveProperty, i: number): number =>
  (((p.data.bytes[i * 4] ?? 0) << 24) | ((p.data.bytes[i * 4 + 1] ?? 0) << 16) | ((p.data.bytes[i * 4 + 2] ?? 0) << 8) | (p.data.bytes[i * 4 + 3] ?? 0)) >>> 0;

/** dtc's node->addr_cells / size_cells after the addr_size_cells fixup: -1 when the property is absent. */
export const rawAddrCells = (n: LiveNode): number => {
  const p = getProperty(n, '#address-cells');
  return p ? cellAt(p, 0) : -1;
};
export const rawSizeCells = (n: LiveNode): number => {
  const p = getProperty(n, '#size-cells');
  return p ? cellAt(p, 0) : -1;
};
const addrCells = (n: LiveNode): number => (rawAddrCells(n) === -1 ? 2 : rawAddrCells(n));
const sizeCells = (n: LiveNode): number => (rawSizeCells(n) === -1 ? 1 : rawSizeCells(n));

export const at = (node: LiveNode, prop?: LiveProperty): string => (prop ? `${node.fullpath}:${prop.name}: ` : `${node.fullpath}: `);

/** C string at the start of a value (up to the first NUL), as dtc's streq on prop->val.val sees it. */
export const cString = (p: LiveProperty): string => {
  const nul = p.data.bytes.indexOf(0);
  return String.fromCharCode(...p.data.bytes.slice(0, nul < 0 ? p.data.bytes.length : nul));
};

/** dtc's strprefixeq(node->name, node->basenamelen, prefix): the basename equals the prefix. */
const basenameIs = (node: LiveNode, name: string): boolean => nodeBasename(node) === name;

function isCompatible(node: LiveNode, compat: string): boolean {
  const p = getProperty(node, 'compatible');
  if (!p) return false;
  return String.fromCharCode(...p.data.bytes)
    .split('\0')
    .includes(compat);
}

const hex = (v: number | bigint): string => v.toString(16);

export const pciBridge: CheckDef = {
  name: 'pci_bridge',
  level: 'warning',
  prereqs: ['device_type_is_string', 'addr_size_cells'],
  run: (_ctx, node, fail) => {
    const type = getProperty(node, 'device_type');
    if (!type || cString(type) !== 'pci') return;
    setBus(node, 'pci');
    if (!basenameIs(node, 'pci') && !basenameIs(node, 'pcie')) fail(`${at(node)}node name is not "pci" or "pcie"`, node.span);
    if (!getProperty(node, 'ranges')) fail(`${at(node)}missing ranges for PCI bridge (or not a bridge)`, node.span);
    if (addrCells(node) !== 3) fail(`${at(node)}incorrect #address-cells for PCI bridge`, node.span);
    if (sizeCells(node) !== 2) fail(`${at(node)}incorrect #size-cells for PCI bridge`, node.span);
    const range = getProperty(node, 'bus-range');
    if (!range) return;
    if (range.data.bytes.length !== 8) {
      fail(`${at(node, range)}value must be 2 cells`, range.span);
      return;
    }
    if (cellAt(range, 0) > cellAt(range, 1)) fail(`${at(node, range)}1st cell must be less than or equal to 2nd cell`, range.span);
    if (cellAt(range, 1) > 0xff) fail(`${at(node, range)}maximum bus number must be less than 256`, range.span);
  },
};

export const pciDeviceReg: CheckDef = {
  name: 'pci_device_reg',
  level: 'warning',
  prereqs: ['reg_format', 'pci_bridge'],
  run: (_ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'pci') return;
    const p = getProperty(node, 'reg');
    if (!p) return;
    if (cellAt(p, 1) || cellAt(p, 2)) fail(`${at(node, p)}PCI reg config space address cells 2 and 3 must be 0`, p.span);
    const reg = cellAt(p, 0);
    const dev = (reg & 0xf800) >>> 11;
    const func = (reg & 0x700) >>> 8;
    if (reg & 0xff000000) fail(`${at(node, p)}PCI reg address is not configuration space`, p.span);
    if (reg & 0xff) fail(`${at(node, p)}PCI reg config space address register number must be 0`, p.span);
    const unit = nodeUnitAddress(node);
    if (func === 0 && unit === hex(dev)) return;
    const expected = `${hex(dev)},${hex(func)}`;
    if (unit !== expected) fail(`${at(node)}PCI unit address format error, expected "${expected}"`, node.span);
  },
};

export const pciDeviceBusNum: CheckDef = {
  name: 'pci_device_bus_num',
  level: 'warning',
  prereqs: ['reg_format', 'pci_bridge'],
  run: (ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'pci') return;
    const reg = getProperty(node, 'reg');
    if (!reg) return;
    const bus = (cellAt(reg, 0) & 0x00ff0000) >>> 16;
    const range = getProperty(node.parent, 'bus-range');
    const min = range ? cellAt(range, 0) : 0;
    // dtc 1.6.1 reads the first bus-range cell for both bounds; 1.7 (69595a1) reads the second for max.
    const max = !range ? 0 : ctx.features.compat >= '1.7' ? cellAt(range, 1) : min;
    // dtc reports against the parent's bus-range property (or none) while naming the child node.
    if (bus < min || bus > max) fail(`${range ? `${node.fullpath}:${range.name}: ` : at(node)}PCI bus number ${bus} out of range, expected (${min | 0} - ${max | 0})`, range?.span ?? node.span);
  },
};

export const simpleBusBridge: CheckDef = {
  name: 'simple_bus_bridge',
  level: 'warning',
  prereqs: ['addr_size_cells', 'compatible_is_string_list'],
  run: (_ctx, node) => {
    if (isCompatible(node, 'simple-bus')) setBus(node, 'simple-bus');
  },
};

export const simpleBusReg: CheckDef = {
  name: 'simple_bus_reg',
  level: 'warning',
  prereqs: ['reg_format', 'simple_bus_bridge'],
  run: (_ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'simple-bus') return;
    let prop = getProperty(node, 'reg');
    let first = 0;
    if (!prop) {
      const ranges = getProperty(node, 'ranges');
      // The parent address in "ranges" follows the child address.
      if (ranges && ranges.data.bytes.length > 0) {
        prop = ranges;
        first = addrCells(node);
      }
    }
    if (!prop) {
      if (node.parent.parent && busOf(node) !== 'simple-bus') fail(`${at(node)}missing or empty reg/ranges property`, node.span);
      return;
    }
    let reg = 0n;
    for (let i = 0; i < addrCells(node.parent); i++) reg = ((reg << 32n) | BigInt(cellAt(prop, first + i))) & 0xffffffffffffffffn;
    const expected = hex(reg);
    if (nodeUnitAddress(node) !== expected) fail(`${at(node)}simple-bus unit address format error, expected "${expected}"`, node.span);
  },
};

export const i2cBusBridge: CheckDef = {
  name: 'i2c_bus_bridge',
  level: 'warning',
  prereqs: ['addr_size_cells'],
  run: (ctx, node, fail) => {
    if (basenameIs(node, 'i2c-bus') || basenameIs(node, 'i2c-arb')) setBus(node, 'i2c');
    else if (basenameIs(node, 'i2c')) {
      // checks.c skips an "i2c" node with an "i2c-bus" child (the child is the bus). Before dtc 1.8 (9cabae6)
      // its strprefixeq compared the child name over the parent's basename length against the 7-character
      // "i2c-bus", which can never match "i2c".
      if (ctx.features.compat >= '1.8' && liveChildren(node).some((child) => basenameIs(child, 'i2c-bus'))) return;
      setBus(node, 'i2c');
    } else return;
    // dtc tests the child list's head, which keeps deleted children.
    if (node.children.length === 0) return;
    if (addrCells(node) !== 1) fail(`${at(node)}incorrect #address-cells for I2C bus`, node.span);
    if (sizeCells(node) !== 0) fail(`${at(node)}incorrect #size-cells for I2C bus`, node.span);
  },
};

const I2C_OWN_SLAVE_ADDRESS = 1 << 30;
const I2C_TEN_BIT_ADDRESS = 2 ** 31;

export const i2cBusReg: CheckDef = {
  name: 'i2c_bus_reg',
  level: 'warning',
  prereqs: ['reg_format', 'i2c_bus_bridge'],
  run: (ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'i2c') return;
    const p = getProperty(node, 'reg');
    if (!p) {
      fail(`${at(node)}missing or empty reg property`, node.span);
      return;
    }
    // Linux include/dt-bindings/i2c/i2c.h: bit 30 marks an own-slave address and is not part of it.
    const first = (cellAt(p, 0) & ~I2C_OWN_SLAVE_ADDRESS) >>> 0;
    if (nodeUnitAddress(node) !== hex(first)) fail(`${at(node)}I2C bus unit address format error, expected "${hex(first)}"`, node.span);
    for (let i = 0; i * 4 < p.data.bytes.length; i++) {
      const reg = (cellAt(p, i) & ~I2C_OWN_SLAVE_ADDRESS) >>> 0;
      // dtc 1.6.1 only skips the 7-bit test for 10-bit addresses above 0x3ff; 1.7 (9cceabe) for every one.
      if (reg >= I2C_TEN_BIT_ADDRESS && ctx.features.compat >= '1.7') {
        if (reg - I2C_TEN_BIT_ADDRESS > 0x3ff) fail(`${at(node, p)}I2C address must be less than 10-bits, got "0x${hex(reg)}"`, p.span);
      } else if (reg >= I2C_TEN_BIT_ADDRESS && reg - I2C_TEN_BIT_ADDRESS > 0x3ff) {
        fail(`${at(node, p)}I2C address must be less than 10-bits, got "0x${hex(reg)}"`, p.span);
      } else if (reg > 0x7f) {
        fail(`${at(node, p)}I2C address must be less than 7-bits, got "0x${hex(reg)}". Set I2C_TEN_BIT_ADDRESS for 10 bit addresses or fix the property`, p.span);
      }
    }
  },
};

export const spiBusBridge: CheckDef = {
  name: 'spi_bus_bridge',
  level: 'warning',
  prereqs: ['addr_size_cells'],
  run: (_ctx, node, fail) => {
    if (basenameIs(node, 'spi')) setBus(node, 'spi');
    else {
      // Buses without the proper name are recognised by a child's "spi-*" property.
      if (addrCells(node) !== 1 || sizeCells(node) !== 0) return;
      if (liveChildren(node).some((child) => child.props.some((p) => !p.deleted && p.name.startsWith('spi-')))) setBus(node, 'spi');
      if (busOf(node) === 'spi' && getProperty(node, 'reg')) fail(`${at(node)}node name for SPI buses should be 'spi'`, node.span);
    }
    if (busOf(node) !== 'spi' || node.children.length === 0) return;
    const expectedAddrCells = getProperty(node, 'spi-slave') ? 0 : 1;
    if (addrCells(node) !== expectedAddrCells) fail(`${at(node)}incorrect #address-cells for SPI bus`, node.span);
    if (sizeCells(node) !== 0) fail(`${at(node)}incorrect #size-cells for SPI bus`, node.span);
  },
};

export const spiBusReg: CheckDef = {
  name: 'spi_bus_reg',
  level: 'warning',
  prereqs: ['reg_format', 'spi_bus_bridge'],
  run: (_ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'spi') return;
    if (getProperty(node.parent, 'spi-slave')) return;
    const p = getProperty(node, 'reg');
    if (!p) {
      fail(`${at(node)}missing or empty reg property`, node.span);
      return;
    }
    const expected = hex(cellAt(p, 0));
    if (nodeUnitAddress(node) !== expected) fail(`${at(node)}SPI bus unit address format error, expected "${expected}"`, node.span);
  },
};

export const avoidUnnecessaryAddrSize: CheckDef = {
  name: 'avoid_unnecessary_addr_size',
  level: 'warning',
  prereqs: ['avoid_default_addr_size'],
  run: (ctx, node, fail) => {
    if (!node.parent || rawAddrCells(node) < 0 || rawSizeCells(node) < 0) return;
    const kids = liveChildren(node);
    // dtc tests the child list's head, which keeps deleted children: a node whose children were all deleted is checked.
    if (getProperty(node, 'ranges') || node.children.length === 0) return;
    const compat = ctx.features.compat;
    // dtc 1.7 (2022bb1) exempts nodes with "dma-ranges"; 1.8 (6f183c7) also children with "ranges".
    if (compat >= '1.7' && getProperty(node, 'dma-ranges')) return;
    if (compat >= '1.8') {
      if (kids.some((child) => getProperty(child, 'reg') || getProperty(child, 'ranges'))) return;
      fail(`${at(node)}unnecessary #address-cells/#size-cells without "ranges", "dma-ranges" or child "reg" or "ranges" property`, node.span);
    } else if (!kids.some((child) => getProperty(child, 'reg'))) {
      const without = compat >= '1.7' ? '"ranges", "dma-ranges"' : '"ranges"';
      fail(`${at(node)}unnecessary #address-cells/#size-cells without ${without} or child "reg" property`, node.span);
    }
  },
};

/**
 * checks.c check_unique_unit_address_common: each child against every earlier one, the earlier one named
 * first (the order dtc prints them in).
 */
export function uniqueUnitAddresses(kids: readonly LiveNode[], fail: Fail): void {
  kids.forEach((a, i) => {
    const ua = nodeUnitAddress(a);
    if (!ua) return;
    for (const b of kids.slice(0, i)) if (nodeUnitAddress(b) === ua) fail(`${at(b)}duplicate unit-address (also used in node ${a.fullpath})`, b.span);
  });
}
