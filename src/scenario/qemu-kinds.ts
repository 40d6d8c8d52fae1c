import { ConfigError } from './errors.js';
import { fieldChecks as f, parseScenario, type FieldCheck, type ScenarioExtensions } from './parse.js';
import {
  actionSide,
  type Action,
  type ActionSide,
  type Expectation,
  type NodeRef,
  type Scenario,
} from './types.js';

/**
 * Actions and expectations only the QEMU runner (src/qemu/run.ts) understands: commands run inside the
 * guest (`ip`, `ethtool`, `ping`), the cable at an emulated PHY, and what the emulated network saw. Kept
 * apart from types.ts, as src/scenario/emulator-kinds.ts is, so the emulator-only runner's exhaustive
 * switches stay complete; `parseScenario` accepts them only through `parseQemuScenario`.
 */
export type QemuAction =
  /** A busybox `sh -c` command line in the guest; its exit code and output are recorded. */
  | { kind: 'run'; command: string }
  /** The cable at the PHY's port is pulled (the link partner goes away) or plugged back. */
  | { kind: 'cable-unplug'; phy: NodeRef }
  | { kind: 'cable-plug'; phy: NodeRef };

/** Frames the guest transmitted on an emulated Ethernet adapter, as the emulated far end classifies them. */
export type FrameClass = 'any' | 'arp-request' | 'icmp-echo-request';
export const FRAME_CLASSES: readonly FrameClass[] = ['any', 'arp-request', 'icmp-echo-request'];

export type QemuExpectation =
  /**
   * The output (stdout and stderr) of the `run` entry `event` matches `pattern` (a regular expression; or
   * does not, with `present: false`), and its exit code is `rc` when given.
   */
  | { kind: 'command-output'; event: string; pattern: string; present?: boolean; rc?: number }
  /** The guest transmitted at least `min` (default 1) frames of `frames` class on the USB Ethernet `device`. */
  | { kind: 'guest-frames'; device: NodeRef; frames: FrameClass; min?: number }
  /**
   * The guest's mdio:mdio_access trace, replayed against fresh instances of the PHY models (src/replay
   * verifyTrace), reads the same value at every read.
   */
  | { kind: 'replay-verify' };

export type QemuScenarioAction = Action | QemuAction;
export type QemuScenarioExpectation = Expectation | QemuExpectation;

export interface QemuScenario extends Omit<Scenario, 'timeline' | 'expect'> {
  timeline: { at: number; id?: string; action: QemuScenarioAction }[];
  expect: QemuScenarioExpectation[];
}

const exitCode: FieldCheck = (v, p) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255)
    throw new ConfigError('SCN002', p, `expected an exit code 0-255, got ${JSON.stringify(v)}`);
  return v;
};
const pattern: FieldCheck = (v, p) => {
  const s = f.string(v, p);
  try {
    new RegExp(s, 'm');
  } catch (err) {
    throw new ConfigError('SCN002', p, `not a valid regular expression: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return s;
};

export const QEMU_EXTENSIONS: ScenarioExtensions = {
  actions: {
    run: { required: { command: f.string }, optional: {} },
    'cable-unplug': { required: { phy: f.nodeRef }, optional: {} },
    'cable-plug': { required: { phy: f.nodeRef }, optional: {} },
  },
  expectations: {
    'command-output': {
      required: { event: f.eventId, pattern },
      optional: { present: f.boolean, rc: exitCode },
    },
    'guest-frames': {
      required: { device: f.nodeRef, frames: f.oneOf(FRAME_CLASSES) },
      optional: { min: f.positiveInteger },
    },
    'replay-verify': { required: {}, optional: {} },
  },
};

/** Where each action is carried out: commands in the guest, cables by the emulator. */
export function qemuActionSide(a: QemuScenarioAction): ActionSide {
  switch (a.kind) {
    case 'run':
      return 'guest';
    case 'cable-unplug':
    case 'cable-plug':
      return 'emulator';
    default:
      return actionSide[a.kind];
  }
}

/** Parses a QEMU scenario; a `command-output` expectation must name a `run` entry. */
export function parseQemuScenario(text: string, defaultName = 'scenario'): QemuScenario {
  const s = parseScenario(text, defaultName, QEMU_EXTENSIONS) as unknown as QemuScenario;
  s.expect.forEach((e, i) => {
    if (e.kind !== 'command-output') return;
    const entry = s.timeline.find((t) => t.id === e.event);
    if (entry?.action.kind !== 'run')
      throw new ConfigError(
        'SCN006',
        `expect[${i}].event`,
        `"${e.event}" is not a run entry: only commands have output`,
      );
  });
  return s;
}
