import { getNodeByPhandle, getProperty, type LiveNode } from './build.js';
import { at, cellAt } from './checks-buses.js';
import type { CheckDef } from './checks.js';
import { isValidPhandle } from './phandles.js';

/** dtc 1.6.1 checks.c interrupt checks (warnings only). */

const isInterruptProvider = (node: LiveNode): boolean => !!getProperty(node, 'interrupt-controller') || !!getProperty(node, 'interrupt-map');

export const interruptsProperty: CheckDef = {
  name: 'interrupts_property',
  level: 'warning',
  // checks.c passes &phandle_references as the check's data, not as a prerequisite.
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

export const interruptProvider: CheckDef = {
  name: 'interrupt_provider',
  level: 'warning',
  prereqs: [],
  run: (_ctx, node, fail) => {
    if (!isInterruptProvider(node)) return;
    if (!getProperty(node, '#interrupt-cells')) fail(`${at(node)}Missing #interrupt-cells in interrupt provider`, node.span);
    if (!getProperty(node, '#address-cells')) fail(`${at(node)}Missing #address-cells in interrupt provider`, node.span);
  },
};
