import { getNodeValue } from 'jsonc-parser';
import { JsonSource, type JsonPath } from './json-source.js';
import { MAX_MS } from './parse.js';
import { SCENARIO_FORMAT } from './types.js';

/** Format-1 action names whose act has one name now (src/board/actions.ts). */
const RENAMED_ACTIONS: Readonly<Record<string, string>> = {
  'link-down': 'cable-unplug',
  'link-up': 'cable-plug',
  'pd-plug': 'pd-connect',
  'pd-unplug': 'pd-disconnect',
};

type Json = Record<string, unknown>;

/**
 * Rewrites a format-1 scenario (a `timeline` of entries at fixed milliseconds from the start, a fixed `end`, a
 * `clock`) as format 2: the same acts as steps in the same order, each waiting for the previous one and then
 * the same gap (`delayMs`); the two names one act had become one; expectations name steps as `after`/`step`.
 * The waits stay time-based: where a step really waits for an event (a probe deferral, a registration), say so
 * with `after` by hand; the migrated file runs as the old one did.
 */
export function migrateScenario(text: string, fileName = 'scenario.json'): string {
  const source = new JsonSource(fileName, text);
  const v1: unknown = getNodeValue(source.root);
  if (typeof v1 !== 'object' || v1 === null || Array.isArray(v1))
    throw source.error('SCN002', [], 'expected a scenario object');
  const old = v1 as Json;
  if (!Array.isArray(old.timeline))
    throw source.error('SCN004', ['timeline'], 'not a format-1 scenario: no timeline to migrate');
  checkTimes(source, old);
  let previousAt = 0;
  const steps = (old.timeline as Json[]).map((entry) => {
    const { at, action, ...rest } = entry;
    const time = typeof at === 'number' ? at : 0;
    const step: Json = {};
    if (rest.id !== undefined) step.id = rest.id;
    delete rest.id;
    if (time > previousAt) step.delayMs = time - previousAt;
    previousAt = Math.max(previousAt, time);
    step.action = typeof action === 'string' ? (RENAMED_ACTIONS[action] ?? action) : action;
    return { ...step, ...rest };
  });
  const expect = ((old.expect ?? []) as Json[]).map((e) => {
    const { event, ...rest } = e;
    if (event === undefined) return e;
    if (e.kind === 'first-access-after') return { ...rest, after: event };
    if (e.kind === 'command-output') return { ...rest, step: event };
    return e;
  });
  const out: Json = { format: SCENARIO_FORMAT, name: old.name };
  if (old.description !== undefined) out.description = old.description;
  out.dts = old.dts;
  const settle = typeof old.settleMs === 'number' ? old.settleMs : 1000;
  // The old fixed end watched the run until then: keep that window after the last step.
  if (typeof old.end === 'number' && old.end - previousAt > settle) out.settleMs = old.end - previousAt;
  else if (old.settleMs !== undefined) out.settleMs = old.settleMs;
  out.steps = steps;
  out.expect = expect;
  if (out.name === undefined) delete out.name;
  return formatScenario(out);
}

/**
 * The times the migration turns into waits (`at`, `end`, `settleMs`) must be ones format 2 accepts, or the
 * migrated file would be refused by the run, far from the value that made it so: refused here, at that value.
 * A format-1 `end` far in the future (1e300) meant "watch until the run is stopped"; format 2 has no such
 * window, since a run ends once its steps are done and its expectations have settled.
 */
function checkTimes(source: JsonSource, old: Json): void {
  const check = (value: unknown, path: JsonPath, hint: string): void => {
    if (value === undefined) return;
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_MS) return;
    throw source.error(
      'SCN002',
      path,
      `expected milliseconds from 0 to ${MAX_MS} (a day), got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}: ${hint}`,
    );
  };
  (old.timeline as unknown[]).forEach((entry, i) => {
    if (typeof entry === 'object' && entry !== null)
      check((entry as Json).at, ['timeline', i, 'at'], 'format 2 cannot wait that long before a step');
  });
  check(
    old.end,
    ['end'],
    'format 2 has no fixed end (a run ends once its steps are done and its expectations have settled); give the last moment worth watching, or remove "end" to settle after settleMs',
  );
  check(old.settleMs, ['settleMs'], 'format 2 settles within at most a day');
}

/** Two-space JSON with every step and expectation on one line, as the shipped files are written. */
export function formatScenario(doc: Json): string {
  const lines = ['{'];
  const entries = Object.entries(doc);
  entries.forEach(([key, value], i) => {
    const comma = i < entries.length - 1 ? ',' : '';
    if (Array.isArray(value)) {
      lines.push(`  ${JSON.stringify(key)}: [`);
      value.forEach((item, j) => lines.push(`    ${oneLine(item)}${j < value.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value)}${comma}`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function oneLine(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const inner = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`);
    return inner.length === 0 ? '{}' : `{ ${inner.join(', ')} }`;
  }
  return JSON.stringify(v);
}
