/**
 * The scenario file: a device tree plus a timeline of lifecycle actions and the expectations to check.
 * Times are milliseconds from the scenario's start: for QEMU runs, the moment the guest's /init starts.
 *
 * A device-tree node is named by a label (`"&pse0"`) or an absolute path (`"/ethernet-pse"`).
 */
export type NodeRef = string;

export interface Scenario {
  /** Shown in reports; defaults to the file name. */
  name: string;
  description?: string;
  /** Device tree source, relative to the scenario file. */
  dts: string;
  /** `wall`: real time (QEMU runs); `virtual`: an injected clock that jumps between events (emulator-only runs). */
  clock: 'virtual' | 'wall';
  /** When the run ends, in ms; defaults to the last timeline entry plus `settleMs`. */
  end: number;
  /** How long to wait after an action before its state snapshot, in ms. */
  settleMs: number;
  timeline: TimelineEntry[];
  expect: Expectation[];
}

export interface TimelineEntry {
  /** Milliseconds from the start. Entries at the same time run in file order. */
  at: number;
  /** Lets expectations refer to this moment (`"before": "pse-load"`). */
  id?: string;
  action: Action;
}

/** Where an action is carried out: inside the guest kernel, or by the emulator (devices it serves). */
export type ActionSide = 'guest' | 'emulator';

export type Action =
  /** insmod a kernel module by name (`pse_regulator`); its dependencies first. */
  | { kind: 'load-module'; module: string }
  /** rmmod a kernel module by name. */
  | { kind: 'unload-module'; module: string }
  /** Unbind a device from its driver through sysfs (`/sys/bus/<bus>/drivers/<driver>/unbind`). */
  | { kind: 'unbind'; bus: string; driver: string; device: string }
  /** Bind it again. */
  | { kind: 'bind'; bus: string; driver: string; device: string }
  /** Plug in a USB device the emulator serves (the DT node of the device). */
  | { kind: 'usb-connect'; device: NodeRef }
  /** Unplug it. */
  | { kind: 'usb-disconnect'; device: NodeRef }
  /** Record the guest's device state at this moment. */
  | { kind: 'snapshot' };

export type ActionKind = Action['kind'];

export const actionSide: Record<ActionKind, ActionSide> = {
  'load-module': 'guest',
  'unload-module': 'guest',
  unbind: 'guest',
  bind: 'guest',
  snapshot: 'guest',
  'usb-connect': 'emulator',
  'usb-disconnect': 'emulator',
};

export type Expectation =
  /** The PHY's DT node got an MDIO device; optionally with this PHY ID and a driver whose name contains `driver`. */
  | { kind: 'phy-registered'; phy: NodeRef; phyId?: number; driver?: string }
  /** The PHY never got an MDIO device during the run. */
  | { kind: 'phy-not-registered'; phy: NodeRef }
  /** The device's probe is deferred: in the snapshot just before timeline entry `before`, or at the end. */
  | { kind: 'probe-deferred'; device: NodeRef; before?: string }
  /** The emulator saw no MDIO access to the PHY before timeline entry `event` (or during the whole run). */
  | { kind: 'no-access'; phy: NodeRef; before?: string }
  /** The PHY was first accessed after timeline entry `event`, within `withinMs`; the report gives the delay. */
  | { kind: 'first-access-after'; phy: NodeRef; event: string; withinMs?: number }
  /** The USB device bound to its DT node (`/sys/bus/usb/devices/X/of_node`): guards against a wrong `reg`. */
  | { kind: 'usb-of-node'; device: NodeRef }
  /** The emulator's MDIO trace and the guest's mdio:mdio_access trace agree transaction for transaction. */
  | { kind: 'traces-agree' }
  /** A kernel log line matching `pattern` (a regular expression) is present (or absent). */
  | { kind: 'kernel-log'; pattern: string; present: boolean }
  /** The guest reads back, through its EEPROM driver, the bytes the emulator's EEPROM model holds. */
  | { kind: 'eeprom-contents'; eeprom: NodeRef; length?: number };

export type ExpectationKind = Expectation['kind'];
