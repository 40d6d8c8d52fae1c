import { ConfigError } from './errors.js';
import { fieldChecks as f, parseScenario, type ScenarioExtensions } from './parse.js';
import type { Action, Expectation, NodeRef, Scenario } from './types.js';

/**
 * Actions and expectations only the emulator-only runner (src/scenario/run.ts) understands: it models the
 * world around a kernel (PSE drivers registering, cables, powered devices, bus faults) rather than
 * commanding a guest. Kept apart from types.ts so the QEMU runner's exhaustive switches stay complete;
 * `parseScenario` accepts them only through `parseEmulatorScenario`.
 */
export type EmulatorAction =
  /** The PSE controller's driver registers it (pse_controller_register()): deferred probes retry. */
  | { kind: 'pse-register'; controller: NodeRef }
  /** Its driver unbinds; PHYs that already hold a pse_control keep it (Linux 6.1). */
  | { kind: 'pse-unregister'; controller: NodeRef }
  /** Cable pulled from / plugged into the PHY's port (link partner stays the same). */
  | { kind: 'link-down'; phy: NodeRef }
  | { kind: 'link-up'; phy: NodeRef }
  /** A powered device of `class` (default 4) appears on / leaves PI `port` of a PSE controller. */
  | { kind: 'pd-plug'; controller: NodeRef; port: number; class?: number }
  | { kind: 'pd-unplug'; controller: NodeRef; port: number }
  /** Bus fault at the PHY's address: it stops answering, or reads of `reg` get `xor` bits flipped. */
  | { kind: 'phy-fault'; phy: NodeRef; fault: 'no-response' | 'bit-error'; reg?: number; xor?: number }
  | { kind: 'phy-fault-clear'; phy: NodeRef };

export type EmulatorExpectation =
  /** What the driver's last status poll saw in BMSR's link bit at the end of the run. */
  | { kind: 'phy-link'; phy: NodeRef; up: boolean }
  /** Power state of PI `port` at the end: delivering, searching (enabled, no PD powered) or disabled. */
  | { kind: 'pse-port'; controller: NodeRef; port: number; power: 'delivering' | 'searching' | 'disabled' }
  /** The PHY ends the run holding a pse_control whose controller was unregistered (the 6.1 use-after-free). */
  | { kind: 'stale-pse'; phy: NodeRef; present: boolean };

export type AnyAction = Action | EmulatorAction;
export type AnyExpectation = Expectation | EmulatorExpectation;

export interface EmulatorScenario extends Omit<Scenario, 'timeline' | 'expect'> {
  timeline: { at: number; id?: string; action: AnyAction }[];
  expect: AnyExpectation[];
}

const register = (v: unknown, p: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 31)
    throw new ConfigError('SCN002', p, `expected a register number 0-31, got ${JSON.stringify(v)}`);
  return v;
};
const port = (v: unknown, p: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ConfigError('SCN002', p, `expected a PI index >= 0, got ${JSON.stringify(v)}`);
  return v;
};
const mask16 = (v: unknown, p: string): number => {
  const n = typeof v === 'string' && /^0x[0-9a-f]{1,4}$/i.test(v) ? Number.parseInt(v.slice(2), 16) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > 0xffff)
    throw new ConfigError(
      'SCN002',
      p,
      `expected a non-zero 16-bit mask such as "0x0004", got ${JSON.stringify(v)}`,
    );
  return n;
};
const pdClass = (v: unknown, p: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 8)
    throw new ConfigError('SCN002', p, `expected a PD class 0-8, got ${JSON.stringify(v)}`);
  return v;
};

export const EMULATOR_EXTENSIONS: ScenarioExtensions = {
  actions: {
    'pse-register': { required: { controller: f.nodeRef }, optional: {} },
    'pse-unregister': { required: { controller: f.nodeRef }, optional: {} },
    'link-down': { required: { phy: f.nodeRef }, optional: {} },
    'link-up': { required: { phy: f.nodeRef }, optional: {} },
    'pd-plug': { required: { controller: f.nodeRef, port }, optional: { class: pdClass } },
    'pd-unplug': { required: { controller: f.nodeRef, port }, optional: {} },
    'phy-fault': {
      required: { phy: f.nodeRef, fault: f.oneOf(['no-response', 'bit-error'] as const) },
      optional: { reg: register, xor: mask16 },
    },
    'phy-fault-clear': { required: { phy: f.nodeRef }, optional: {} },
  },
  expectations: {
    'phy-link': { required: { phy: f.nodeRef, up: f.boolean }, optional: {} },
    'pse-port': {
      required: {
        controller: f.nodeRef,
        port,
        power: f.oneOf(['delivering', 'searching', 'disabled'] as const),
      },
      optional: {},
    },
    'stale-pse': { required: { phy: f.nodeRef, present: f.boolean }, optional: {} },
  },
};

/** Parses a scenario that may use the emulator-only kinds; a bit-error fault must say which register. */
export function parseEmulatorScenario(text: string, defaultName = 'scenario'): EmulatorScenario {
  const s = parseScenario(text, defaultName, EMULATOR_EXTENSIONS) as unknown as EmulatorScenario;
  s.timeline.forEach((t, i) => {
    const a = t.action;
    if (a.kind === 'phy-fault' && a.fault === 'bit-error' && (a.reg === undefined || a.xor === undefined)) {
      throw new ConfigError(
        'SCN003',
        `timeline[${i}].${a.reg === undefined ? 'reg' : 'xor'}`,
        'a bit-error fault needs both reg and xor',
      );
    }
  });
  return s;
}
