import { ConfigError } from './errors.js';
import type { Action, ActionKind, Expectation, ExpectationKind, Scenario, TimelineEntry } from './types.js';

/**
 * Parses and validates a scenario file's JSON text. Every error names the offending field by its JSON path
 * (`timeline[1].module`) so a user can find it without reading this code. Unknown fields are errors: a typo
 * such as `"modul"` must not silently drop an argument.
 */
export function parseScenario(
  text: string,
  defaultName = 'scenario',
  extensions?: ScenarioExtensions,
): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('SCN001', '', `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const top = object(json, '');
  allowOnly(top, '', ['name', 'description', 'dts', 'clock', 'end', 'settleMs', 'timeline', 'expect']);
  const timeline = array(required(top, 'timeline', ''), 'timeline').map((e, i) =>
    timelineEntry(e, `timeline[${i}]`, extensions),
  );
  const ids = new Set<string>();
  timeline.forEach((entry, i) => {
    if (entry.id === undefined) return;
    if (ids.has(entry.id)) throw new ConfigError('SCN006', `timeline[${i}].id`, `duplicate id "${entry.id}"`);
    ids.add(entry.id);
  });
  timeline.forEach((entry, i) => {
    const prev = timeline[i - 1];
    if (prev && entry.at < prev.at) {
      throw new ConfigError(
        'SCN007',
        `timeline[${i}].at`,
        `${entry.at} ms comes before the previous entry's ${prev.at} ms; keep the timeline in time order`,
      );
    }
  });
  const settleMs = top.settleMs === undefined ? 1000 : nonNegative(top.settleMs, 'settleMs');
  const lastAt = timeline.at(-1)?.at ?? 0;
  const end = top.end === undefined ? lastAt + settleMs : nonNegative(top.end, 'end');
  if (end < lastAt)
    throw new ConfigError('SCN007', 'end', `${end} ms is before the last timeline entry (${lastAt} ms)`);
  const expect = array(required(top, 'expect', ''), 'expect').map((e, i) =>
    expectation(e, `expect[${i}]`, ids, extensions),
  );
  // Virtual time unless the file asks for the wall clock (QEMU scenarios do).
  const clock = top.clock === undefined ? 'virtual' : oneOf(top.clock, 'clock', ['virtual', 'wall'] as const);
  const scenario: Scenario = {
    name: top.name === undefined ? defaultName : string(top.name, 'name'),
    dts: string(required(top, 'dts', ''), 'dts'),
    clock,
    end,
    settleMs,
    timeline,
    expect,
  };
  if (top.description !== undefined) scenario.description = string(top.description, 'description');
  return scenario;
}

type Json = Record<string, unknown>;

/** Per action: its extra fields, each a string. Adding an action means one line here and one in types.ts. */
const actionFields: Record<ActionKind, readonly string[]> = {
  'load-module': ['module'],
  'unload-module': ['module'],
  unbind: ['bus', 'driver', 'device'],
  bind: ['bus', 'driver', 'device'],
  'usb-connect': ['device'],
  'usb-disconnect': ['device'],
  snapshot: [],
};

/**
 * Extra action and expectation kinds a caller accepts on top of the ones above (the emulator-only runner's
 * PSE, link, PD and fault actions: src/scenario/emulator-kinds.ts). Each field is checked by its FieldCheck.
 */
export interface ScenarioExtensions {
  actions: Record<string, FieldSpec>;
  expectations: Record<string, FieldSpec>;
}
export interface FieldSpec {
  required: Record<string, FieldCheck>;
  optional: Record<string, FieldCheck>;
}

function timelineEntry(value: unknown, path: string, extensions?: ScenarioExtensions): TimelineEntry {
  const o = object(value, path);
  const extra = extensions?.actions[String(o.action)];
  if (extra) {
    allowOnly(o, path, [
      'at',
      'id',
      'action',
      ...Object.keys(extra.required),
      ...Object.keys(extra.optional),
    ]);
    const entry: TimelineEntry = {
      at: nonNegative(required(o, 'at', path), `${path}.at`),
      action: { kind: o.action, ...checkFields(o, path, extra, new Set()) } as Action,
    };
    if (o.id !== undefined) entry.id = string(o.id, `${path}.id`);
    return entry;
  }
  const kind = oneOf(required(o, 'action', path), `${path}.action`, [
    ...Object.keys(actionFields),
    ...Object.keys(extensions?.actions ?? {}),
  ] as ActionKind[]);
  const fields = actionFields[kind];
  allowOnly(o, path, ['at', 'id', 'action', ...fields]);
  const args: Record<string, string> = {};
  for (const f of fields) args[f] = string(required(o, f, path), `${path}.${f}`);
  if (kind === 'usb-connect' || kind === 'usb-disconnect') nodeRef(args.device ?? '', `${path}.device`);
  const entry: TimelineEntry = {
    at: nonNegative(required(o, 'at', path), `${path}.at`),
    action: { kind, ...args } as Action,
  };
  if (o.id !== undefined) entry.id = string(o.id, `${path}.id`);
  return entry;
}

/** Per expectation kind: required and optional fields with their checkers. */
export type FieldCheck = (value: unknown, path: string, ids: ReadonlySet<string>) => unknown;
const ref: FieldCheck = (v, p) => nodeRef(string(v, p), p);
const eventId: FieldCheck = (v, p, ids) => {
  const id = string(v, p);
  if (!ids.has(id))
    throw new ConfigError(
      'SCN006',
      p,
      `no timeline entry has id "${id}" (known: ${[...ids].join(', ') || 'none'})`,
    );
  return id;
};
const expectationFields: Record<
  ExpectationKind,
  { required: Record<string, FieldCheck>; optional: Record<string, FieldCheck> }
> = {
  'phy-registered': {
    required: { phy: ref },
    optional: { phyId: (v, p) => phyId(v, p), driver: (v, p) => string(v, p) },
  },
  'phy-not-registered': { required: { phy: ref }, optional: {} },
  'probe-deferred': { required: { device: ref }, optional: { before: eventId } },
  'no-access': { required: { phy: ref }, optional: { before: eventId } },
  'first-access-after': {
    required: { phy: ref, event: eventId },
    optional: { withinMs: (v, p) => nonNegative(v, p) },
  },
  'usb-of-node': { required: { device: ref }, optional: {} },
  'traces-agree': { required: {}, optional: {} },
  'kernel-log': {
    required: { pattern: (v, p) => regex(v, p), present: (v, p) => boolean(v, p) },
    optional: {},
  },
  'eeprom-contents': { required: { eeprom: ref }, optional: { length: (v, p) => positiveInteger(v, p) } },
};

function expectation(
  value: unknown,
  path: string,
  ids: ReadonlySet<string>,
  extensions?: ScenarioExtensions,
): Expectation {
  const o = object(value, path);
  const all = { ...expectationFields, ...extensions?.expectations } as Record<ExpectationKind, FieldSpec>;
  const kind = oneOf(required(o, 'kind', path), `${path}.kind`, Object.keys(all) as ExpectationKind[]);
  const spec = all[kind];
  allowOnly(o, path, ['kind', ...Object.keys(spec.required), ...Object.keys(spec.optional)]);
  return { kind, ...checkFields(o, path, spec, ids) } as Expectation;
}

function checkFields(
  o: Json,
  path: string,
  spec: FieldSpec,
  ids: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, check] of Object.entries(spec.required))
    out[name] = check(required(o, name, path), `${path}.${name}`, ids);
  for (const [name, check] of Object.entries(spec.optional)) {
    if (o[name] !== undefined) out[name] = check(o[name], `${path}.${name}`, ids);
  }
  return out;
}

/** The field checkers, for extensions. */
export const fieldChecks = {
  nodeRef: ref,
  eventId,
  string: (v: unknown, p: string): string => string(v, p),
  boolean: (v: unknown, p: string): boolean => boolean(v, p),
  milliseconds: (v: unknown, p: string): number => nonNegative(v, p),
  positiveInteger: (v: unknown, p: string): number => positiveInteger(v, p),
  oneOf:
    <T extends string>(allowed: readonly T[]) =>
    (v: unknown, p: string): T =>
      oneOf(v, p, allowed),
} as const;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('SCN002', path || '(top level)', `expected an object, got ${describe(value)}`);
  }
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value))
    throw new ConfigError('SCN002', path, `expected an array, got ${describe(value)}`);
  return value;
}

function required(o: Json, name: string, path: string): unknown {
  if (o[name] === undefined)
    throw new ConfigError('SCN003', path ? `${path}.${name}` : name, 'required field is missing');
  return o[name];
}

function allowOnly(o: Json, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(
        'SCN005',
        path ? `${path}.${key}` : key,
        `unknown field (allowed here: ${allowed.join(', ')})`,
      );
    }
  }
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new ConfigError('SCN002', path, `expected a non-empty string, got ${describe(value)}`);
  return value;
}

function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError('SCN002', path, `expected true or false, got ${describe(value)}`);
  return value;
}

function nonNegative(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError('SCN002', path, `expected a number of milliseconds >= 0, got ${describe(value)}`);
  }
  return value;
}

function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError('SCN002', path, `expected a positive integer, got ${describe(value)}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(
      'SCN004',
      path,
      `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/** `&label` or an absolute path. */
function nodeRef(value: string, path: string): string {
  if (/^&[A-Za-z_][A-Za-z0-9_]*$/.test(value) || /^\/[^\s]*$/.test(value)) return value;
  throw new ConfigError(
    'SCN002',
    path,
    `expected a device-tree node as "&label" or "/absolute/path", got "${value}"`,
  );
}

/** A 32-bit PHY identifier (registers 2 and 3), as a number or a hex string ("0x01410dd1"). */
function phyId(value: unknown, path: string): number {
  const n =
    typeof value === 'string' && /^0x[0-9a-f]{1,8}$/i.test(value)
      ? Number.parseInt(value.slice(2), 16)
      : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ConfigError(
      'SCN002',
      path,
      `expected a 32-bit PHY ID such as "0x01410dd1", got ${describe(value)}`,
    );
  }
  return n;
}

function regex(value: unknown, path: string): string {
  const s = string(value, path);
  try {
    new RegExp(s);
  } catch (err) {
    throw new ConfigError('SCN002', path, `not a valid regular expression: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return s;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'object') return 'an object';
  // JSON yields numbers and booleans here; anything else is named by its type.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}
