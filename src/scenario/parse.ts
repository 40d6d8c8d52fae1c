import { getNodeValue } from 'jsonc-parser';
import type { Action, ActionKind } from '../board/actions.js';
import { FRAME_CLASSES } from '../net/peer.js';
import { JsonSource, type JsonPath } from './json-source.js';
import { KNOWN_BUG_NAMES, KNOWN_BUGS } from './known-bugs.js';
import {
  SCENARIO_FORMAT,
  type Condition,
  type ConditionKind,
  type Expectation,
  type ExpectationKind,
  type KnownBug,
  type Scenario,
  type Step,
} from './types.js';

/**
 * Parses and validates a scenario file (format 2). Every error points at the offending value: file, line and
 * column, and its JSON path in words (`steps[1].module`). Unknown fields are errors: a typo such as `"modul"`
 * must not silently drop an argument. A format-1 file (with a `timeline`) is refused with the command that
 * migrates it.
 */
export function parseScenario(text: string, fileName: string, defaultName = 'scenario'): ParsedScenario {
  const source = new JsonSource(fileName, text);
  const json: unknown = getNodeValue(source.root);
  const c = new Checker(source);
  const top = c.object(json, []);
  if ('timeline' in top)
    throw source.error(
      'SCN009',
      ['timeline'],
      `this is a format-1 scenario (fixed times on a "timeline"); \`mdio-emu scenario migrate ${fileName}\` rewrites it as format ${SCENARIO_FORMAT} (steps that wait for events)`,
    );
  c.allowOnly(
    top,
    [],
    [
      'format',
      'name',
      'description',
      'kernels',
      'dts',
      'settleMs',
      'quietMs',
      'deadlineMs',
      'steps',
      'expect',
    ],
  );
  if (top.format !== undefined && top.format !== SCENARIO_FORMAT)
    throw source.error(
      'SCN004',
      ['format'],
      `this reader knows format ${SCENARIO_FORMAT}, not ${JSON.stringify(top.format)}`,
    );
  const stepsJson = c.array(c.required(top, 'steps', []), ['steps']);
  const ids = new Map<string, number>();
  stepsJson.forEach((s, i) => {
    const o = c.object(s, ['steps', i]);
    if (o.id === undefined) return;
    const id = c.string(o.id, ['steps', i, 'id']);
    if (ids.has(id)) throw source.error('SCN006', ['steps', i, 'id'], `duplicate step id "${id}"`);
    ids.set(id, i);
  });
  c.stepIds = ids;
  const steps = stepsJson.map((s, i) => c.step(s, i));
  const expect = c.array(c.required(top, 'expect', []), ['expect']).map((e, i) => c.expectation(e, i));
  const scenario: Scenario = {
    name: top.name === undefined ? defaultName : c.string(top.name, ['name']),
    dts: c.string(c.required(top, 'dts', []), ['dts']),
    steps,
    expect,
    settleMs: top.settleMs === undefined ? 1000 : c.milliseconds(top.settleMs, ['settleMs']),
    quietMs: top.quietMs === undefined ? 3000 : c.milliseconds(top.quietMs, ['quietMs']),
    deadlineMs: top.deadlineMs === undefined ? 180_000 : c.milliseconds(top.deadlineMs, ['deadlineMs']),
  };
  if (top.description !== undefined) scenario.description = c.string(top.description, ['description']);
  if (top.kernels !== undefined) scenario.kernels = c.kernelRange(top.kernels, ['kernels']);
  return { scenario, source };
}

export interface ParsedScenario {
  scenario: Scenario;
  /** Where each value came from, for errors found later (references checked against the device tree). */
  source: JsonSource;
}

type Json = Record<string, unknown>;
/** A field checker: the value, its path, and the checker (for step ids and errors). */
type FieldCheck = (value: unknown, path: JsonPath, c: Checker) => unknown;
interface FieldSpec {
  required: Record<string, FieldCheck>;
  optional: Record<string, FieldCheck>;
}

const ref: FieldCheck = (v, p, c) => c.nodeRef(v, p);
const str: FieldCheck = (v, p, c) => c.string(v, p);
const bool: FieldCheck = (v, p, c) => c.boolean(v, p);
const stepId: FieldCheck = (v, p, c) => c.stepId(v, p);
const port: FieldCheck = (v, p, c) => c.integer(v, p, 0, 255, 'a PI index');
const pattern: FieldCheck = (v, p, c) => c.regex(v, p);

/** Per action: its fields. Adding an action means one entry here and one in src/board/actions.ts. */
const ACTIONS: Readonly<Record<ActionKind, FieldSpec>> = {
  'load-module': { required: { module: str }, optional: {} },
  'unload-module': { required: { module: str }, optional: {} },
  bind: { required: { bus: str, driver: str, device: str }, optional: {} },
  unbind: { required: { bus: str, driver: str, device: str }, optional: {} },
  'pse-register': { required: { controller: ref }, optional: {} },
  'pse-unregister': { required: { controller: ref }, optional: {} },
  run: { required: { command: str }, optional: {} },
  snapshot: { required: {}, optional: {} },
  'usb-connect': { required: { device: ref }, optional: {} },
  'usb-disconnect': { required: { device: ref }, optional: {} },
  'cable-unplug': { required: { phy: ref }, optional: {} },
  'cable-plug': { required: { phy: ref }, optional: {} },
  'pd-connect': {
    required: { controller: ref, port },
    optional: {
      class: (v, p, c) => c.integer(v, p, 0, 8, 'a PD class'),
      signature: (v, p, c) => c.oneOf(v, p, ['single', 'dual', 'invalid'] as const),
      classB: (v, p, c) => c.integer(v, p, 0, 5, "a dual-signature PD's pairset B class"),
    },
  },
  'pd-disconnect': { required: { controller: ref, port }, optional: {} },
  'pd-overload': { required: { controller: ref, port }, optional: {} },
  'phy-fault': {
    required: { phy: ref, fault: (v, p, c) => c.oneOf(v, p, ['no-response', 'bit-error'] as const) },
    optional: {
      reg: (v, p, c) => c.integer(v, p, 0, 31, 'a register number'),
      xor: (v, p, c) => c.mask16(v, p),
    },
  },
  'phy-fault-clear': { required: { phy: ref }, optional: {} },
};

const CONDITIONS: Readonly<Record<Exclude<ConditionKind, 'step'>, FieldSpec>> = {
  'phy-registered': { required: { phy: ref }, optional: { driver: str } },
  'probe-deferred': { required: { device: ref }, optional: {} },
  'device-bound': { required: { device: ref }, optional: { driver: str } },
  'mdio-access': { required: { phy: ref }, optional: {} },
  link: { required: { phy: ref, up: bool }, optional: {} },
  'kernel-log': { required: { pattern }, optional: {} },
};

const EXPECTATIONS: Readonly<Record<ExpectationKind, FieldSpec>> = {
  'phy-registered': {
    required: { phy: ref },
    optional: { phyId: (v, p, c) => c.phyId(v, p), driver: str },
  },
  'phy-not-registered': { required: { phy: ref }, optional: { before: stepId } },
  'probe-deferred': { required: { device: ref }, optional: { before: stepId } },
  'no-access': { required: { phy: ref }, optional: { before: stepId } },
  'first-access-after': {
    required: { phy: ref, after: stepId },
    optional: { withinMs: (v, p, c) => c.milliseconds(v, p) },
  },
  'usb-of-node': { required: { device: ref }, optional: {} },
  'traces-agree': { required: {}, optional: {} },
  'replay-verify': { required: {}, optional: {} },
  'kernel-log': { required: { pattern, present: bool }, optional: {} },
  'kernel-report': {
    required: {
      report: (v, p, c) =>
        c.oneOf(v, p, ['warning', 'oops', 'bug', 'kasan', 'lockdep', 'hung-task', 'panic'] as const),
      present: bool,
    },
    optional: { function: str },
  },
  'eeprom-contents': {
    required: { eeprom: ref },
    optional: { length: (v, p, c) => c.integer(v, p, 1, 65536, 'a byte count') },
  },
  'command-output': {
    required: { step: stepId, pattern },
    optional: { present: bool, rc: (v, p, c) => c.integer(v, p, 0, 255, 'an exit status') },
  },
  'guest-frames': {
    required: { device: ref, frames: (v, p, c) => c.oneOf(v, p, FRAME_CLASSES) },
    optional: { min: (v, p, c) => c.integer(v, p, 1, 1_000_000, 'a frame count') },
  },
  'phy-link': { required: { phy: ref, up: bool }, optional: {} },
  'pse-port': {
    required: {
      controller: ref,
      port,
      power: (v, p, c) => c.oneOf(v, p, ['delivering', 'searching', 'disabled'] as const),
    },
    optional: {},
  },
  'stale-pse': { required: { phy: ref, present: bool }, optional: {} },
};

/** Field-by-field validation with the file position of every value at hand. */
class Checker {
  stepIds = new Map<string, number>();

  constructor(readonly source: JsonSource) {}

  step(value: unknown, index: number): Step {
    const path = ['steps', index];
    const o = this.object(value, path);
    const kind = this.oneOf(
      this.required(o, 'action', path),
      [...path, 'action'],
      Object.keys(ACTIONS) as ActionKind[],
    );
    const spec = ACTIONS[kind];
    this.allowOnly(o, path, [
      'id',
      'after',
      'delayMs',
      'withinMs',
      'knownBug',
      'action',
      ...fieldNames(spec),
    ]);
    const action = { kind, ...this.fields(o, path, spec) } as Action;
    if (
      action.kind === 'phy-fault' &&
      action.fault === 'bit-error' &&
      (action.reg === undefined || action.xor === undefined)
    )
      throw this.source.error(
        'SCN003',
        [...path, action.reg === undefined ? 'reg' : 'xor'],
        'a bit-error fault needs both reg and xor',
      );
    if (action.kind === 'pd-connect' && action.signature === 'dual' && (action.class ?? 4) > 5)
      throw this.source.error(
        'SCN003',
        [...path, 'class'],
        'each pairset of a dual-signature PD classifies as class 0-5 (802.3bt 145.3.6)',
      );
    if (action.kind === 'pd-connect' && action.classB !== undefined && action.signature !== 'dual')
      throw this.source.error(
        'SCN003',
        [...path, 'classB'],
        'classB is the class of a dual-signature PD\'s pairset B: it needs "signature": "dual"',
      );
    const step: Step = {
      index,
      action,
      delayMs: o.delayMs === undefined ? 0 : this.milliseconds(o.delayMs, [...path, 'delayMs']),
    };
    if (o.id !== undefined) step.id = this.string(o.id, [...path, 'id']);
    if (o.after !== undefined) step.after = this.condition(o.after, [...path, 'after'], index);
    if (o.withinMs !== undefined) step.withinMs = this.milliseconds(o.withinMs, [...path, 'withinMs']);
    if (o.knownBug !== undefined) step.knownBug = this.knownBugs(o.knownBug, [...path, 'knownBug']);
    return step;
  }

  condition(value: unknown, path: JsonPath, stepIndex: number): Condition {
    if (typeof value === 'string') {
      const id = this.stepId(value, path);
      if ((this.stepIds.get(id) ?? 0) >= stepIndex)
        throw this.source.error(
          'SCN006',
          path,
          `step "${id}" comes later: a step can only wait for an earlier one`,
        );
      return { kind: 'step', step: id };
    }
    const o = this.object(value, path);
    const kind = this.oneOf(
      this.required(o, 'event', path),
      [...path, 'event'],
      Object.keys(CONDITIONS) as ConditionKind[],
    );
    if (kind === 'step')
      throw this.source.error('SCN004', [...path, 'event'], 'name the step directly: "after": "<step id>"');
    const spec = CONDITIONS[kind];
    this.allowOnly(o, path, ['event', ...fieldNames(spec)]);
    return { kind, ...this.fields(o, path, spec) } as Condition;
  }

  expectation(value: unknown, index: number): Expectation {
    const path = ['expect', index];
    const o = this.object(value, path);
    const kind = this.oneOf(
      this.required(o, 'kind', path),
      [...path, 'kind'],
      Object.keys(EXPECTATIONS) as ExpectationKind[],
    );
    const spec = EXPECTATIONS[kind];
    this.allowOnly(o, path, ['kind', 'knownBug', 'kernels', ...fieldNames(spec)]);
    const e = { kind, index, ...this.fields(o, path, spec) } as Expectation;
    if (o.knownBug !== undefined) e.knownBug = this.knownBugs(o.knownBug, [...path, 'knownBug']);
    if (o.kernels !== undefined) e.kernels = this.kernelRange(o.kernels, [...path, 'kernels']);
    if (e.kind === 'command-output') {
      const target = this.stepIds.get(e.step);
      const stepJson =
        target === undefined
          ? undefined
          : (getNodeValue(this.source.root) as { steps: Json[] }).steps[target];
      if (stepJson?.action !== 'run')
        throw this.source.error(
          'SCN006',
          [...path, 'step'],
          `"${e.step}" is not a run step: only commands have output`,
        );
    }
    return e;
  }

  /** One known bug or a list of them. */
  knownBugs(value: unknown, path: JsonPath): KnownBug[] {
    return Array.isArray(value)
      ? (value as unknown[]).map((b, i) => this.knownBug(b, [...path, i]))
      : [this.knownBug(value, path)];
  }

  /** A catalogue name (src/scenario/known-bugs.ts) or an inline bug, which must be named too. */
  knownBug(value: unknown, path: JsonPath): KnownBug {
    if (typeof value === 'string') {
      const bug = KNOWN_BUGS[value];
      if (!bug)
        throw this.source.error(
          'SCN002',
          path,
          `no known kernel bug is called "${value}" (known: ${KNOWN_BUG_NAMES.join(', ')})`,
        );
      return bug;
    }
    const o = this.object(value, path);
    this.allowOnly(o, path, ['name', 'kernels', 'bug', 'evidence']);
    const name = this.string(this.required(o, 'name', path), [...path, 'name']);
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
      throw this.source.error(
        'SCN002',
        [...path, 'name'],
        `a bug name is lower-case words joined by "-", got "${name}"`,
      );
    const kernels = this.kernelRange(this.required(o, 'kernels', path), [...path, 'kernels']);
    const evidence: string[] = [];
    if (o.evidence !== undefined) {
      if (!Array.isArray(o.evidence))
        throw this.source.error('SCN002', [...path, 'evidence'], 'expected an array of regular expressions');
      for (const [i, p] of (o.evidence as unknown[]).entries()) {
        const text = this.string(p, [...path, 'evidence', i]);
        try {
          new RegExp(text);
        } catch (err) {
          throw this.source.error(
            'SCN002',
            [...path, 'evidence', i],
            `not a regular expression: ${(err as Error).message}`,
          );
        }
        evidence.push(text);
      }
    }
    return { name, kernels, bug: this.string(this.required(o, 'bug', path), [...path, 'bug']), evidence };
  }

  kernelRange(value: unknown, path: JsonPath): string {
    const kernels = this.string(value, path);
    if (
      !/^\s*(?:(?:>=|<=|>|<|=)?\s*\d+\.\d+(?:\.\d+)?\s*)(?:,\s*(?:>=|<=|>|<|=)?\s*\d+\.\d+(?:\.\d+)?\s*)*$/.test(
        kernels,
      )
    )
      throw this.source.error(
        'SCN002',
        path,
        `expected version terms such as ">=6.17, <7.3", got "${kernels}"`,
      );
    return kernels;
  }

  fields(o: Json, path: JsonPath, spec: FieldSpec): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, check] of Object.entries(spec.required))
      out[name] = check(this.required(o, name, path), [...path, name], this);
    for (const [name, check] of Object.entries(spec.optional))
      if (o[name] !== undefined) out[name] = check(o[name], [...path, name], this);
    return out;
  }

  object(value: unknown, path: JsonPath): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw this.source.error('SCN002', path, `expected an object, got ${describe(value)}`);
    return value as Json;
  }

  array(value: unknown, path: JsonPath): unknown[] {
    if (!Array.isArray(value))
      throw this.source.error('SCN002', path, `expected an array, got ${describe(value)}`);
    return value;
  }

  required(o: Json, name: string, path: JsonPath): unknown {
    if (o[name] === undefined)
      throw this.source.error('SCN003', [...path, name], `required field "${name}" is missing`);
    return o[name];
  }

  allowOnly(o: Json, path: JsonPath, allowed: readonly string[]): void {
    for (const key of Object.keys(o))
      if (!allowed.includes(key))
        throw this.source.error(
          'SCN005',
          [...path, key],
          `unknown field "${key}" (allowed here: ${allowed.join(', ')})`,
        );
  }

  string(value: unknown, path: JsonPath): string {
    if (typeof value !== 'string' || value.length === 0)
      throw this.source.error('SCN002', path, `expected a non-empty string, got ${describe(value)}`);
    return value;
  }

  boolean(value: unknown, path: JsonPath): boolean {
    if (typeof value !== 'boolean')
      throw this.source.error('SCN002', path, `expected true or false, got ${describe(value)}`);
    return value;
  }

  /** Milliseconds: finite, >= 0, and below a day (a value such as 1e300 is a mistake, not a wait). */
  milliseconds(value: unknown, path: JsonPath): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_MS)
      throw this.source.error(
        'SCN002',
        path,
        `expected milliseconds from 0 to ${MAX_MS}, got ${describe(value)}`,
      );
    return value;
  }

  integer(value: unknown, path: JsonPath, min: number, max: number, what: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw this.source.error(
        'SCN002',
        path,
        `expected ${what} from ${min} to ${max}, got ${describe(value)}`,
      );
    return value;
  }

  oneOf<T extends string>(value: unknown, path: JsonPath, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
      throw this.source.error(
        'SCN004',
        path,
        `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(value)}`,
      );
    return value as T;
  }

  stepId(value: unknown, path: JsonPath): string {
    const id = this.string(value, path);
    if (!this.stepIds.has(id))
      throw this.source.error(
        'SCN006',
        path,
        `no step has id "${id}" (known: ${[...this.stepIds.keys()].join(', ') || 'none'})`,
      );
    return id;
  }

  /** `&label` or an absolute path; whether the node exists is checked against the board. */
  nodeRef(value: unknown, path: JsonPath): string {
    const s = this.string(value, path);
    if (/^&[A-Za-z_][A-Za-z0-9_]*$/.test(s) || /^\/\S*$/.test(s)) return s;
    throw this.source.error(
      'SCN002',
      path,
      `expected a device-tree node as "&label" or "/absolute/path", got "${s}"`,
    );
  }

  /** A 32-bit PHY identifier (registers 2 and 3), as a number or a hex string ("0x01410dd1"). */
  phyId(value: unknown, path: JsonPath): number {
    const n =
      typeof value === 'string' && /^0x[0-9a-f]{1,8}$/i.test(value)
        ? Number.parseInt(value.slice(2), 16)
        : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw this.source.error(
        'SCN002',
        path,
        `expected a 32-bit PHY ID such as "0x01410dd1", got ${describe(value)}`,
      );
    return n;
  }

  mask16(value: unknown, path: JsonPath): number {
    const n =
      typeof value === 'string' && /^0x[0-9a-f]{1,4}$/i.test(value)
        ? Number.parseInt(value.slice(2), 16)
        : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > 0xffff)
      throw this.source.error(
        'SCN002',
        path,
        `expected a non-zero 16-bit mask such as "0x0004", got ${describe(value)}`,
      );
    return n;
  }

  regex(value: unknown, path: JsonPath): string {
    const s = this.string(value, path);
    try {
      new RegExp(s, 'm');
    } catch (err) {
      throw this.source.error(
        'SCN002',
        path,
        `not a valid regular expression: ${(err as Error).message}`,
        err,
      );
    }
    return s;
  }
}

/** The longest wait or window a scenario may give (a day): a longer one is a mistake, not a wait. */
export const MAX_MS = 86_400_000;

function fieldNames(spec: FieldSpec): string[] {
  return [...Object.keys(spec.required), ...Object.keys(spec.optional)];
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 60 ? `${value.slice(0, 60)}...` : value}"`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
