import type { Board } from '../board/board.js';
import type { Action } from '../board/actions.js';
import { NEEDS_KERNEL_MODEL, NEEDS_REAL_KERNEL } from './expectations.js';
import type { JsonPath, JsonSource } from './json-source.js';
import type { Condition, Expectation, Scenario, Step } from './types.js';

/** Which guest runs the scenario: what it can carry out and judge differs. */
export type GuestKind = 'kernel-model' | 'real-kernel';

/** What a node reference must name. */
type NodeKind = 'phy' | 'pse' | 'usb' | 'node';

/**
 * Checks a parsed scenario against the board it runs on and returns it with every `&label` replaced by the
 * node's path: each reference names a node of the right kind (a PHY on an emulated bus, a PSE controller, a
 * USB device), and the guest can carry out every step and judge every expectation. Errors point at the value
 * in the scenario file.
 */
export function bindScenario(
  scenario: Scenario,
  source: JsonSource,
  board: Board,
  guest: GuestKind,
): Scenario {
  const resolve = (ref: string, kind: NodeKind, path: JsonPath): string => {
    const node = board.resolve(ref);
    if (node === undefined)
      throw source.error(
        'SCN010',
        path,
        ref.startsWith('&')
          ? `no node has the label ${ref} in the device tree`
          : `no node at ${ref} in the device tree`,
      );
    const ok =
      kind === 'node' ||
      (kind === 'phy' && board.phyAt(node) !== undefined) ||
      (kind === 'pse' && board.pseAt(node) !== undefined) ||
      (kind === 'usb' && board.usbAt(node) !== undefined);
    if (!ok) throw source.error('SCN010', path, `${node} is not ${KIND_NAMES[kind]}`);
    return node;
  };

  const steps = scenario.steps.map((s): Step => {
    const at: JsonPath = ['steps', s.index];
    if (guest === 'kernel-model' && s.action.kind === 'run')
      throw source.error(
        'SCN008',
        [...at, 'action'],
        '"run" needs a guest with a shell: run this scenario with `mdio-emu qemu run`',
      );
    const action = bindAction(s.action, (ref, kind, field) => resolve(ref, kind, [...at, field]));
    if (action.kind === 'pd-connect' || action.kind === 'pd-disconnect' || action.kind === 'pd-overload') {
      const count = board.pseAt(action.controller)?.model.piCount ?? 0;
      if (action.port >= count)
        throw source.error(
          'SCN010',
          [...at, 'port'],
          `${action.controller} has ${count} PI(s), so port ${action.port} does not exist`,
        );
    }
    const bound: Step = { ...s, action };
    if (s.after)
      bound.after = bindCondition(s.after, (ref, kind, field) => resolve(ref, kind, [...at, 'after', field]));
    return bound;
  });

  const expect = scenario.expect.map((e): Expectation => {
    const at: JsonPath = ['expect', e.index];
    if (guest === 'kernel-model' && NEEDS_REAL_KERNEL.has(e.kind))
      throw source.error(
        'SCN008',
        [...at, 'kind'],
        `"${e.kind}" needs a guest kernel: run this scenario with \`mdio-emu qemu run\``,
      );
    if (guest === 'real-kernel' && NEEDS_KERNEL_MODEL.has(e.kind))
      throw source.error(
        'SCN008',
        [...at, 'kind'],
        `"${e.kind}" is the kernel model's view: a real kernel shows it otherwise (kernel-report, command-output)`,
      );
    const r = (ref: string, kind: NodeKind, field: string): string => resolve(ref, kind, [...at, field]);
    switch (e.kind) {
      case 'phy-registered':
      case 'phy-not-registered':
      case 'no-access':
      case 'first-access-after':
      case 'phy-link':
      case 'stale-pse':
        return { ...e, phy: r(e.phy, 'phy', 'phy') };
      case 'probe-deferred':
        return { ...e, device: r(e.device, 'node', 'device') };
      case 'usb-of-node':
      case 'guest-frames':
        return { ...e, device: r(e.device, 'usb', 'device') };
      case 'eeprom-contents':
        return { ...e, eeprom: r(e.eeprom, 'node', 'eeprom') };
      case 'pse-port': {
        const controller = r(e.controller, 'pse', 'controller');
        const count = board.pseAt(controller)?.model.piCount ?? 0;
        if (e.port >= count)
          throw source.error('SCN010', [...at, 'port'], `${controller} has ${count} PI(s)`);
        return { ...e, controller };
      }
      case 'traces-agree':
      case 'replay-verify':
      case 'kernel-log':
      case 'kernel-report':
      case 'command-output':
        return e;
    }
  });

  if (guest === 'kernel-model')
    for (const p of board.mdio.flatMap((b) => b.phys))
      if (p.clause45)
        throw source.error(
          'SCN008',
          ['dts'],
          `${p.path}: Clause 45 PHYs are not in the kernel model yet; run this scenario under QEMU`,
        );
  return { ...scenario, steps, expect };
}

const KIND_NAMES: Readonly<Record<NodeKind, string>> = {
  phy: 'a PHY node on an emulated MDIO bus',
  pse: 'a PSE controller',
  usb: 'an emulated USB device',
  node: 'a node',
};

type Resolver = (ref: string, kind: NodeKind, field: string) => string;

function bindAction(a: Action, r: Resolver): Action {
  switch (a.kind) {
    case 'usb-connect':
    case 'usb-disconnect':
      return { ...a, device: r(a.device, 'usb', 'device') };
    case 'cable-unplug':
    case 'cable-plug':
    case 'phy-fault':
    case 'phy-fault-clear':
      return { ...a, phy: r(a.phy, 'phy', 'phy') };
    case 'pd-connect':
    case 'pd-disconnect':
    case 'pd-overload':
    case 'pse-register':
    case 'pse-unregister':
      return { ...a, controller: r(a.controller, 'pse', 'controller') };
    case 'load-module':
    case 'unload-module':
    case 'bind':
    case 'unbind':
    case 'run':
    case 'snapshot':
      return a;
  }
}

function bindCondition(c: Condition, r: Resolver): Condition {
  switch (c.kind) {
    case 'phy-registered':
    case 'mdio-access':
    case 'link':
      return { ...c, phy: r(c.phy, 'phy', 'phy') };
    case 'probe-deferred':
    case 'device-bound':
      return { ...c, device: r(c.device, 'node', 'device') };
    case 'step':
    case 'kernel-log':
      return c;
  }
}
