import type { DeviceTree, DtNode } from './tree.js';

/**
 * livetree.c sort_tree for a tree that did not come from source (dtc -I dtb -s, as dtdiff runs it): memory
 * reservations by address then size, and every node's properties and children by name (strcmp order).
 * Sources are sorted while compiling (compile.ts), before their tree is exported.
 */
export function sortDeviceTree(tree: DeviceTree): void {
  const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
  tree.memreserves.sort((a, b) => cmp(a.address, b.address) || cmp(a.size, b.size));
  const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const visit = (node: DtNode): void => {
    node.properties.sort(byName);
    node.children.sort(byName);
    node.children.forEach(visit);
  };
  visit(tree.root);
}
