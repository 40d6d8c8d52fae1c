import { getNodeByLabel, getNodeByPhandle, getNodeByRef, type LiveNode } from './build.js';
import { features as featuresOf, type DtcFeatures } from './compat.js';

/**
 * Label and phandle lookups over a tree whose labels no longer change (checks and fixups run after
 * parsing), answering as build.ts getNodeByLabel/getNodeByPhandle do, the first live node in preorder,
 * without a walk of the whole tree per lookup (dtc's own walks make its checks O(nodes x references)).
 *
 * A cached hit is re-validated (still live, still labelled / numbered so) and the map rebuilt when it is
 * stale; nodes are only deleted while the index lives, so a miss stays a miss, except for phandles, which
 * must be reported through `assigned()` when a node gets one.
 */
export class NodeIndex {
  private labels: Map<string, LiveNode> | undefined;
  private phandles: Map<number, LiveNode> | undefined;

  constructor(
    private readonly root: LiveNode,
    private readonly features: DtcFeatures = featuresOf(),
  ) {}

  /** livetree.c get_node_by_ref: `/` is the root, `/path` a path, anything else a label (dtc 1.7: `label/path`). */
  byRef(ref: string): LiveNode | undefined {
    return getNodeByRef(this.root, ref, this.features, (label) => this.byLabel(label));
  }

  byLabel(label: string): LiveNode | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      this.labels ??= this.buildLabels();
      const node = this.labels.get(label);
      if (!node) return undefined;
      if (this.isLive(node) && node.labels.some((l) => !l.deleted && l.name === label)) return node;
      this.labels = undefined;
    }
    return getNodeByLabel(this.root, label);
  }

  byPhandle(phandle: number): LiveNode | undefined {
    for (let attempt = 0; attempt < 2; attempt++) {
      this.phandles ??= this.buildPhandles();
      const node = this.phandles.get(phandle);
      if (!node) return undefined;
      if (this.isLive(node) && node.phandle === phandle) return node;
      this.phandles = undefined;
    }
    return getNodeByPhandle(this.root, phandle);
  }

  /** Call after labels were added (dtc 1.8 restores them from __symbols__ after the checks). */
  invalidate(): void {
    this.labels = undefined;
    this.phandles = undefined;
  }

  /** Call after setting `node.phandle`: keeps the map exact (a clash in preorder needs a rebuild). */
  assigned(node: LiveNode): void {
    if (!this.phandles) return;
    const known = this.phandles.get(node.phandle);
    if (known === undefined) this.phandles.set(node.phandle, node);
    else if (known !== node) this.phandles = undefined;
  }

  /** The node and its ancestors up to the root are not deleted (the lookups skip deleted subtrees). */
  private isLive(node: LiveNode): boolean {
    let n: LiveNode | undefined = node;
    while (n && n !== this.root) {
      if (n.deleted) return false;
      n = n.parent;
    }
    return n === this.root;
  }

  private buildLabels(): Map<string, LiveNode> {
    const map = new Map<string, LiveNode>();
    const visit = (node: LiveNode): void => {
      for (const l of node.labels) if (!l.deleted && !map.has(l.name)) map.set(l.name, node);
      for (const c of node.children) if (!c.deleted) visit(c);
    };
    visit(this.root);
    return map;
  }

  private buildPhandles(): Map<number, LiveNode> {
    const map = new Map<number, LiveNode>();
    const visit = (node: LiveNode): void => {
      if (!map.has(node.phandle)) map.set(node.phandle, node);
      for (const c of node.children) if (!c.deleted) visit(c);
    };
    visit(this.root);
    return map;
  }
}
