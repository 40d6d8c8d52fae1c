import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readDtb } from '../dts/dtb-read.js';
import { printDts } from '../dts/print.js';
import { findNodeByPath, nodePath, stringsOf, type DeviceTree, type DtNode } from '../dts/tree.js';
import { ConfigError } from '../scenario/errors.js';
import { compileDtsFile } from './compile-dts.js';

/**
 * The DTB the guest boots: QEMU's own virt tree with the scenario's nodes merged in.
 *
 * Why source-level merging rather than a DT overlay: the scenario adds nodes under QEMU's PCIe host bridge
 * and points `pses` at nodes it also adds, so it needs QEMU's nodes by path (`&{/pcie@10000000}`) and its
 * own labels in one namespace. Printing QEMU's blob back to DTS and compiling it together with the
 * scenario (`/include/`) gives exactly dtc's merge semantics (later definitions extend earlier nodes,
 * phandles allocated after QEMU's fixed 0x8000+ ones), keeps diagnostics pointing into the user's file,
 * and needs no overlay fixup machinery in the kernel or the tool.
 */
export interface ScenarioDtb {
  dtb: Buffer;
  tree: DeviceTree;
  /** `label` → absolute node path, from the blob's `__symbols__`. */
  labels: Map<string, string>;
}

export async function composeScenarioDtb(baseDtb: Uint8Array, scenarioDts: string): Promise<ScenarioDtb> {
  const text = await readFile(scenarioDts, 'utf8');
  // A `/dts-v1/;` header is legal only before the first node, and the scenario comes after QEMU's tree.
  if (/^\s*\/dts-v1\/\s*;/m.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
    throw new ConfigError(
      'SCN008',
      'dts',
      `${scenarioDts} starts with /dts-v1/; a QEMU scenario's DTS is merged onto QEMU's virt tree, so leave the header out`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-dts-'));
  try {
    const base = printDts(readDtb(baseDtb, { fileName: 'qemu-virt.dtb' }));
    const wrapper = join(dir, 'scenario-on-virt.dts');
    await writeFile(join(dir, 'qemu-virt.dtsi'), base.replace(/^\/dts-v1\/;\s*/, ''));
    await writeFile(
      wrapper,
      `/dts-v1/;\n/include/ ${JSON.stringify(join(dir, 'qemu-virt.dtsi'))}\n/include/ ${JSON.stringify(scenarioDts)}\n`,
    );
    const dtb = await compileDtsFile(wrapper, [dirname(scenarioDts)]);
    const tree = readDtb(dtb, { fileName: 'scenario.dtb' });
    return { dtb, tree, labels: symbolsOf(tree) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function symbolsOf(tree: DeviceTree): Map<string, string> {
  const out = new Map<string, string>();
  const symbols = findNodeByPath(tree.root, '/__symbols__');
  for (const p of symbols?.properties ?? []) {
    const path = stringsOf(p.value)[0];
    if (!p.deleted && path) out.set(p.name, path);
  }
  return out;
}

/** Resolves a scenario node reference (`&label` or `/path`) to its node, or says which reference is bad. */
export function resolveNodeRef(dtb: ScenarioDtb, ref: string, field: string): { path: string; node: DtNode } {
  const path = ref.startsWith('&') ? dtb.labels.get(ref.slice(1)) : ref;
  if (path === undefined)
    throw new ConfigError('SCN006', field, `no node has the label ${ref} in the scenario's device tree`);
  const node = findNodeByPath(dtb.tree.root, path);
  if (!node) throw new ConfigError('SCN006', field, `no node at ${path} in the scenario's device tree`);
  return { path: nodePath(node), node };
}
