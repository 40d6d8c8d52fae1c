import { getNodeByPhandle, getProperty, liveChildren, nodeBasename, nodeUnitAddress, type LiveNode } from './build.js';
import { at, busOf, cellAt, rawAddrCells, rawSizeCells, setBus } from './checks-buses.js';
import type { CheckDef } from './checks.js';
import { isValidPhandle } from './phandles.js';
import type { Span } from '../diagnostics/source.js';

/**
 * dtc 1.6.1 checks.c OF graph checks (Documentation/devicetree/bindings/graph.txt): ports, port@N and
 * endpoint@N nodes. dtc 1.6.1 dereferences the root's parent when the root holds an endpoint and crashes;
 * here that case is the warning later dtc releases print.
 */

type Fail = (message: string, span?: Span) => void;

export const graphNodes: CheckDef = {
  name: 'graph_nodes',
  level: 'warning',
  prereqs: [],
  run: (_ctx, node, fail) => {
    for (const child of liveChildren(node)) {
      if (nodeBasename(child) !== 'endpoint' && !getProperty(child, 'remote-endpoint')) continue;
      if (!node.parent) {
        fail(`${at(node)}root node contains endpoint node '${child.name}', potentially misplaced remote-endpoint property`, node.span);
        continue;
      }
      setBus(node, 'graph-port');
      // The parent of 'port' nodes can be either 'ports' or a device.
      if (!busOf(node.parent) && (node.parent.name === 'ports' || getProperty(node, 'reg'))) setBus(node.parent, 'graph-ports');
      break;
    }
  },
};

function graphReg(node: LiveNode, fail: Fail): void {
  const reg = getProperty(node, 'reg');
  if (!reg) return;
  if (reg.data.bytes.length !== 4) {
    fail(`${at(node)}graph node malformed 'reg' property`, node.span);
    return;
  }
  const expected = cellAt(reg, 0).toString(16);
  if (nodeUnitAddress(node) !== expected) fail(`${at(node)}graph node unit address error, expected "${expected}"`, node.span);
  // graph_nodes never marks the root, so a node here always has a parent.
  const parent = node.parent;
  if (!parent) return;
  const ac = rawAddrCells(parent);
  const sc = rawSizeCells(parent);
  const acProp = getProperty(node, '#address-cells');
  const scProp = getProperty(node, '#size-cells');
  if (ac !== 1) fail(`${at(node, acProp)}graph node '#address-cells' is ${ac}, must be 1`, acProp?.span ?? node.span);
  if (sc !== 0) fail(`${at(node, scProp)}graph node '#size-cells' is ${sc}, must be 0`, scProp?.span ?? node.span);
}

export const graphPort: CheckDef = {
  name: 'graph_port',
  level: 'warning',
  prereqs: ['graph_nodes'],
  run: (_ctx, node, fail) => {
    if (busOf(node) !== 'graph-port') return;
    if (nodeBasename(node) !== 'port') fail(`${at(node)}graph port node name should be 'port'`, node.span);
    graphReg(node, fail);
  },
};

function remoteEndpoint(root: LiveNode, endpoint: LiveNode, fail: Fail): LiveNode | undefined {
  const prop = getProperty(endpoint, 'remote-endpoint');
  if (!prop) return undefined;
  const phandle = cellAt(prop, 0);
  // An overlay's unresolved reference: nothing to follow.
  if (!isValidPhandle(phandle)) return undefined;
  const node = getNodeByPhandle(root, phandle);
  if (!node) fail(`${at(endpoint, prop)}graph phandle is not valid`, prop.span);
  return node;
}

export const graphEndpoint: CheckDef = {
  name: 'graph_endpoint',
  level: 'warning',
  prereqs: ['graph_nodes'],
  run: (ctx, node, fail) => {
    if (!node.parent || busOf(node.parent) !== 'graph-port') return;
    if (nodeBasename(node) !== 'endpoint') fail(`${at(node)}graph endpoint node name should be 'endpoint'`, node.span);
    graphReg(node, fail);
    const remote = remoteEndpoint(ctx.root, node, fail);
    if (!remote) return;
    if (remoteEndpoint(ctx.root, remote, fail) !== node) fail(`${at(node)}graph connection to node '${remote.fullpath}' is not bidirectional`, node.span);
  },
};

export const graphChildAddress: CheckDef = {
  name: 'graph_child_address',
  level: 'warning',
  // dtc 1.6.1 runs it before graph_port and graph_endpoint and does not wait for them.
  prereqs: ['graph_nodes'],
  run: (_ctx, node, fail) => {
    const bus = busOf(node);
    if (bus !== 'graph-ports' && bus !== 'graph-port') return;
    const kids = liveChildren(node);
    let count = 0;
    for (const child of kids) {
      const reg = getProperty(child, 'reg');
      // Any non-zero unit address makes #address-cells/#size-cells necessary.
      if (reg && cellAt(reg, 0) !== 0) return;
      count++;
    }
    const first = kids[0];
    if (count === 1 && first && rawAddrCells(node) !== -1) {
      fail(`${at(node)}graph node has single child node '${first.name}', #address-cells/#size-cells are not necessary`, node.span);
    }
  },
};
