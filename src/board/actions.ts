/**
 * The one action vocabulary: everything a scenario, the daemon or a test can make happen to a board and the
 * kernel that drives it. Each act has one name and one meaning wherever it is carried out:
 * - hardware actions change the emulated world (a cable, a USB plug, a powered device, a bus fault) and are
 *   applied by the Board itself;
 * - guest actions are what a kernel or its user does (load a module, bind a driver, run a command); the Board
 *   hands them to the guest attached to it: a real kernel under QEMU, or the in-process kernel model.
 *
 * Nodes are named by device-tree path once resolved; scenario files may write `&label` (src/scenario
 * resolves it against the board before anything runs).
 */
export type HardwareAction =
  /** Plug in / unplug a USB device the emulator serves (its DT node under the xHCI node). */
  | { kind: 'usb-connect'; device: string }
  | { kind: 'usb-disconnect'; device: string }
  /** Pull the cable from the PHY's port (the link partner goes away), or plug it back. */
  | { kind: 'cable-unplug'; phy: string }
  | { kind: 'cable-plug'; phy: string }
  /**
   * A powered device of `class` (0-8, default 4) appears on PI `port` of a PSE controller; `signature` is what
   * detection measures (default a valid 25 kOhm PD; `dual` a dual-signature 4-pair PD whose pairset A
   * classifies as `class` and pairset B as `classB`, each 0-5, 802.3bt 145.3.6; `invalid` no PD).
   */
  | {
      kind: 'pd-connect';
      controller: string;
      port: number;
      class?: number;
      signature?: 'single' | 'dual' | 'invalid';
      classB?: number;
    }
  /** The powered device leaves the port. */
  | { kind: 'pd-disconnect'; controller: string; port: number }
  /** The powered device draws more than the port allows: the controller must cut it (overcurrent). */
  | { kind: 'pd-overload'; controller: string; port: number }
  /** From now on the PHY stops answering, or reads of `reg` have `xor` bits flipped. */
  | { kind: 'phy-fault'; phy: string; fault: 'no-response' | 'bit-error'; reg?: number; xor?: number }
  /** Removes every fault injected at this PHY (and only this PHY). */
  | { kind: 'phy-fault-clear'; phy: string };

export type GuestAction =
  /** insmod a kernel module by name (`pse_regulator`), its dependencies first. */
  | { kind: 'load-module'; module: string }
  /** rmmod a kernel module by name. */
  | { kind: 'unload-module'; module: string }
  /** Bind a device to a driver through sysfs (`/sys/bus/<bus>/drivers/<driver>/bind`). */
  | { kind: 'bind'; bus: string; driver: string; device: string }
  /** Unbind it. */
  | { kind: 'unbind'; bus: string; driver: string; device: string }
  /**
   * The PSE controller's driver registers it (pse_controller_register()), or goes away: on a real kernel,
   * binding or unbinding the controller's device from the driver it had; in the kernel model, the PSE
   * framework's registration.
   */
  | { kind: 'pse-register'; controller: string }
  | { kind: 'pse-unregister'; controller: string }
  /** A shell command line in the guest; its exit status and output are recorded. */
  | { kind: 'run'; command: string }
  /** Record the guest's device state at this moment (devices_deferred, MDIO devices, bound drivers). */
  | { kind: 'snapshot' };

export type Action = HardwareAction | GuestAction;
export type ActionKind = Action['kind'];
export type ActionSide = 'hardware' | 'guest';

export const ACTION_SIDE: Readonly<Record<ActionKind, ActionSide>> = {
  'usb-connect': 'hardware',
  'usb-disconnect': 'hardware',
  'cable-unplug': 'hardware',
  'cable-plug': 'hardware',
  'pd-connect': 'hardware',
  'pd-disconnect': 'hardware',
  'pd-overload': 'hardware',
  'phy-fault': 'hardware',
  'phy-fault-clear': 'hardware',
  'load-module': 'guest',
  'unload-module': 'guest',
  bind: 'guest',
  unbind: 'guest',
  'pse-register': 'guest',
  'pse-unregister': 'guest',
  run: 'guest',
  snapshot: 'guest',
};

export function isHardwareAction(a: Action): a is HardwareAction {
  return ACTION_SIDE[a.kind] === 'hardware';
}

/** One short line for logs and reports: `load-module pse_regulator`, `cable-unplug /mdio/phy@1`. */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'usb-connect':
    case 'usb-disconnect':
      return `${a.kind} ${a.device}`;
    case 'cable-unplug':
    case 'cable-plug':
    case 'phy-fault-clear':
      return `${a.kind} ${a.phy}`;
    case 'phy-fault':
      return `phy-fault ${a.phy} ${a.fault}${a.reg === undefined ? '' : ` reg ${a.reg} xor 0x${(a.xor ?? 0).toString(16)}`}`;
    case 'pd-connect':
      return `pd-connect ${a.controller} port ${a.port} class ${a.class ?? 4}${a.signature === 'dual' ? `/${a.classB ?? a.class ?? 4} dual` : a.signature === 'invalid' ? ' invalid' : ''}`;
    case 'pd-disconnect':
    case 'pd-overload':
      return `${a.kind} ${a.controller} port ${a.port}`;
    case 'load-module':
    case 'unload-module':
      return `${a.kind} ${a.module}`;
    case 'bind':
    case 'unbind':
      return `${a.kind} ${a.bus}/${a.driver} ${a.device}`;
    case 'pse-register':
    case 'pse-unregister':
      return `${a.kind} ${a.controller}`;
    case 'run':
      return `run ${a.command}`;
    case 'snapshot':
      return 'snapshot';
  }
}
