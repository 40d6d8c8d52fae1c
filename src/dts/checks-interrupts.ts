import { getNodeByPhandle, getProperty, type LiveNode } from './build.js';
import { at, cellAt, rawAddrCells } from './checks-buses.js';
import type { CheckDef } from './checks.js';
import { isValidPhandle } from './phandles.js';

/** dtc checks.c interrupt checks (warnings only), as each generation has them. */

const isInterruptProvider = (node: LiveNode): boolean => !!getProperty(node, 'interrupt-controller') || !!getProperty(node, 'interrupt-map');

export const interruptsProperty: CheckDef = {
  name: 'interrupts_property',
  level: 'warning',
  // Until dtc 1.8.1 (2164019) checks.c passes &phandle_references as the check's data, not as a prerequisite.
  prereqs: [],
  run: (ctx, node, fail) => {
    const irq = getProperty(node, 'interrupts');
    if (!irq) return;
    const len = irq.data.bytes.length;
    if (len % 4 !== 0) fail(`${at(node, irq)}size (${len}) is invalid, expected multiple of 4`, irq.span);
    let irqNode: LiveNode | undefined;
    // Walk up to the first interrupt provider or interrupt-parent (Linux drivers/of/irq.c of_irq_find_parent).
    for (let parent: LiveNode | undefined = node; parent; parent = parent.parent) {
      if (parent !== node && isInterruptProvider(parent)) {
        irqNode = parent;
        break;
      }
      const ip = getProperty(parent, 'interrupt-parent');
      if (!ip) continue;
      const phandle = cellAt(ip, 0);
      if (!isValidPhandle(phandle)) {
        if (ctx.plugin) return;
        // checks.c `continue`s here without moving up, then leaves the loop because prop is set.
        fail(`${at(parent, ip)}Invalid phandle`, ip.span);
        break;
      }
      irqNode = getNodeByPhandle(ctx.root, phandle);
      if (!irqNode) {
        fail(`${at(parent, ip)}Bad phandle`, ip.span);
        return;
      }
      if (!isInterruptProvider(irqNode)) fail(`${at(irqNode)}Missing interrupt-controller or interrupt-map property`, irqNode.span);
      break;
    }
    if (!irqNode) {
      fail(`${at(node)}Missing interrupt-parent`, node.span);
      return;
    }
    // A provider without #interrupt-cells is interrupt_provider's warning.
    const cellsProp = getProperty(irqNode, '#interrupt-cells');
    if (!cellsProp) return;
    const entry = cellAt(cellsProp, 0) * 4;
    if (entry === 0 ? len !== 0 : len % entry !== 0) {
      // dtc names the consumer node with the provider's #interrupt-cells property.
      fail(`${node.fullpath}:${cellsProp.name}: size is (${len}), expected multiple of ${entry | 0}`, cellsProp.span);
    }
  },
};

/** dtc 1.6.1: a provider needs #interrupt-cells and #address-cells. */
export const interruptProvider16: CheckDef = {
  name: 'interrupt_provider',
  level: 'warning',
  prereqs: [],
  run: (_ctx, node, fail) => {
    if (!isInterruptProvider(node)) return;
    if (!getProperty(node, '#interrupt-cells')) fail(`${at(node)}Missing #interrupt-cells in interrupt provider`, node.span);
    if (!getProperty(node, '#address-cells')) fail(`${at(node)}Missing #address-cells in interrupt provider`, node.span);
  },
};

/**
 * dtc 1.7 (d8d1a9a, 8fd2474, 52a16fd): #address-cells moves to interrupt_map, and #interrupt-cells may only
 * sit in a provider.
 */
export const interruptProvider17: CheckDef = {
  name: 'interrupt_provider',
  level: 'warning',
  prereqs: ['interrupts_extended_is_cell'],
  run: (_ctx, node, fail) => {
    const provider = isInterruptProvider(node);
    const cells = getProperty(node, '#interrupt-cells');
    if (provider && !cells) fail(`${at(node)}Missing '#interrupt-cells' in interrupt provider`, node.span);
    else if (!provider && cells) fail(`${at(node)}'#interrupt-cells' found, but node is not an interrupt provider`, node.span);
  },
};

/**
 * dtc 1.7 (0a3a9d3, c17d76a) checks.c check_interrupt_map: each entry is child unit address and specifier,
 * a parent phandle, then the parent's #address-cells and #interrupt-cells; dtc 1.8 (267efc7) also warns
 * when the parent lacks #address-cells. Counts are C size_t, which JS numbers hold exactly here.
 */
export const interruptMap: CheckDef = {
  name: 'interrupt_map',
  level: 'warning',
  prereqs: ['phandle_references', 'addr_size_cells', 'interrupt_provider'],
  run: (ctx, node, fail) => {
    const map = getProperty(node, 'interrupt-map');
    if (!map) return;
    const ac = rawAddrCells(node);
    if (ac < 0) {
      fail(`${at(node)}Missing '#address-cells' in interrupt-map provider`, node.span);
      return;
    }
    // interrupt_provider passed for every node, so this provider has #interrupt-cells.
    const irqCells = getProperty(node, '#interrupt-cells');
    const cellsize = ac + (irqCells ? cellAt(irqCells, 0) : 0);
    const mask = getProperty(node, 'interrupt-map-mask');
    if (mask && mask.data.bytes.length !== cellsize * 4) {
      fail(`${at(node, mask)}property size (${mask.data.bytes.length}) is invalid, expected ${cellsize * 4}`, mask.span);
    }
    const len = map.data.bytes.length;
    if (len % 4 !== 0) {
      fail(`${at(node, map)}property size (${len}) is invalid, expected multiple of 4`, map.span);
      return;
    }
    const mapCells = len / 4;
    for (let cell = 0; cell < mapCells; ) {
      if (cell + cellsize >= mapCells) {
        fail(`${at(node, map)}property size (${len}) too small, expected > ${(cell + cellsize) * 4}`, map.span);
        break;
      }
      cell += cellsize;
      const phandle = cellAt(map, cell);
      if (!isValidPhandle(phandle)) {
        // An overlay's unresolved reference: give up quietly.
        if (!ctx.plugin) fail(`${at(node, map)}Cell ${cell} is not a phandle(${phandle | 0})`, map.span);
        break;
      }
      const parent = ctx.alloc.index.byPhandle(phandle);
      if (!parent) {
        fail(`${at(node, map)}Could not get phandle(${phandle | 0}) node for (cell ${cell})`, map.span);
        break;
      }
      const parentIrq = getProperty(parent, '#interrupt-cells');
      if (!parentIrq) {
        fail(`${at(node)}Missing property '#interrupt-cells' in node ${parent.fullpath} or bad phandle (referred from interrupt-map[${cell}])`, node.span);
        break;
      }
      let parentCells = cellAt(parentIrq, 0);
      const parentAc = getProperty(parent, '#address-cells');
      if (parentAc) parentCells += cellAt(parentAc, 0);
      else if (ctx.features.compat >= '1.8') {
        fail(`${at(node, map)}Missing property '#address-cells' in node ${parent.fullpath}, using 0 as fallback`, map.span);
      }
      cell += 1 + parentCells;
      if (cell > mapCells) fail(`${at(node, map)}property size (${len}) mismatch, expected ${cell * 4}`, map.span);
    }
  },
};
