import { createNode, type DtNode, type DeviceTree } from '../../src/dts/tree.js';

/**
 * A tiny in-code tree builder for binding tests until the DTS compiler lands: values are written the way
 * a DTS author writes them (cells with `&label` references, string lists), and labels get phandles the
 * way dtc assigns them (1, 2, ... in order of first reference).
 */
export type Cell = number | { ref: string };
export type Value = { cells: Cell[] } | { strings: string[] };
export interface NodeSpec {
  name: string;
  label?: string;
  props?: Record<string, Value>;
  children?: NodeSpec[];
}

export const cells = (...c: Cell[]): Value => ({ cells: c });
export const strs = (...s: string[]): Value => ({ strings: s });
export const ref = (label: string): Cell => ({ ref: label });

export function buildTree(children: NodeSpec[]): DeviceTree {
  const root = createNode('');
  const labels = new Map<string, DtNode>();
  const pending: { node: DtNode; name: string; value: Value }[] = [];
  const add = (spec: NodeSpec, parent: DtNode): void => {
    const node = createNode(spec.name, parent);
    parent.children.push(node);
    if (spec.label) {
      node.labels.push(spec.label);
      labels.set(spec.label, node);
    }
    for (const [name, value] of Object.entries(spec.props ?? {})) pending.push({ node, name, value });
    for (const c of spec.children ?? []) add(c, node);
  };
  for (const c of children) add(c, root);
  let next = 1;
  const phandleOf = (label: string): number => {
    const target = labels.get(label);
    if (!target) return 0xdeadbeef; // a reference to nothing: what a stale phandle in a DTB looks like
    if (target.phandle === 0) target.phandle = next++;
    return target.phandle;
  };
  for (const { node, name, value } of pending) {
    let bytes: Uint8Array;
    if ('cells' in value) {
      bytes = new Uint8Array(value.cells.length * 4);
      const view = new DataView(bytes.buffer);
      value.cells.forEach((c, i) => view.setUint32(i * 4, typeof c === 'number' ? c : phandleOf(c.ref)));
    } else {
      bytes = new Uint8Array(Buffer.from(value.strings.map((s) => `${s}\0`).join(''), 'latin1'));
    }
    node.properties.push({ name, labels: [], value: { bytes, markers: [] }, deleted: false });
  }
  return { root, memreserves: [], plugin: false, bootCpuidPhys: 0 };
}

/** An MDIO bus with one PHY per entry, each with the given `pses` cells. */
export function mdioWithPhys(pses: Cell[][]): NodeSpec {
  return {
    name: 'mdio',
    props: { '#address-cells': cells(1), '#size-cells': cells(0) },
    children: pses.map((p, i) => ({
      name: `ethernet-phy@${i}`,
      props: { reg: cells(i), pses: cells(...p) },
    })),
  };
}
