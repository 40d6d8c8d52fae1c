import type { DtcCompat } from './compat.js';
import type { BaseEditObserver } from './overlay.js';
import { formatPropertyValue } from './print.js';
import type { NodeRecord, Provenance, ProvenanceEvent, PropertyRecord } from './provenance.js';
import type { SourceFile, Span } from '../diagnostics/source.js';
import { findNodeByPath, getProperty, nodePath, type DeviceTree, type DtNode, type Property } from './tree.js';

/**
 * `mdio-emu dts why`: the story of one node or property, from its first definition through every .dtsi,
 * board file and overlay that extended, overrode or deleted it, to the value it has now.
 */

export interface WhyLine {
  kind: ProvenanceEvent['kind'];
  /** `file:line:col`, or a note where there is no source position (a blob, a generated value). */
  where: string;
  /** The first line of source at that position, trimmed. */
  source?: string;
  /** A value the event replaced or set, as DTS. */
  value?: string;
  note?: string;
}

export interface WhyReport {
  /** The path asked for, resolved (unit addresses filled in). */
  path: string;
  property?: string;
  /** Whether the node or property is in the final tree. */
  live: boolean;
  events: WhyLine[];
  /** The final value, as DTS (for a live property). */
  value?: string;
  /** For a node: each property's last event, so a reader sees who set what. */
  properties?: { name: string; live: boolean; last: WhyLine }[];
  /** The ancestor whose deletion took this with it, when that is why it is gone. */
  deletedWith?: string;
}

const PLAIN: readonly string[] = ['phandle', 'linux,phandle'];

function whereOf(span: Span | undefined, files: ReadonlyMap<string, SourceFile>, fallback: string): { where: string; source?: string } {
  if (!span) return { where: fallback };
  const file = files.get(span.file);
  if (!file) return { where: span.file };
  const { line, column } = file.position(span.start);
  const text = file.hasText ? file.lineText(line).trim() : '';
  return { where: `${span.file}:${line}:${column}`, ...(text ? { source: text } : {}) };
}

function lineOf(e: ProvenanceEvent, files: ReadonlyMap<string, SourceFile>, fallback: string, compat: DtcCompat): WhyLine {
  const value = e.value ? formatPropertyValue({ name: '', labels: [], value: e.value, deleted: false }, { compat }).replace(/^ = /, '').replace(/;\n$/, '') : undefined;
  return {
    kind: e.kind,
    ...whereOf(e.span, files, fallback),
    ...(value !== undefined && value !== ';\n' ? { value } : {}),
    ...(e.note !== undefined ? { note: e.note } : {}),
  };
}

/** `path` or `path:property`; the property is what follows the last colon after the last slash. */
export function splitTarget(target: string): { path: string; property?: string } {
  const slash = target.lastIndexOf('/');
  const colon = target.indexOf(':', slash + 1);
  if (colon < 0) return { path: target };
  return { path: target.slice(0, colon) || '/', property: target.slice(colon + 1) };
}

const valueText = (p: Property, compat: DtcCompat): string => {
  const v = formatPropertyValue(p, { compat });
  return v === ';\n' ? '(empty)' : v.replace(/^ = /, '').replace(/;\n$/, '');
};

/**
 * Explains a node or property. `origin` names the input for events without a source position (a blob).
 * Returns undefined when the path was never part of the tree.
 */
export function explain(
  provenance: Provenance,
  tree: DeviceTree | undefined,
  target: string,
  files: ReadonlyMap<string, SourceFile>,
  options: { origin: string; compat: DtcCompat },
): WhyReport | undefined {
  const { path, property } = splitTarget(target);
  const record = provenance.lookup(path);
  if (!record) return undefined;
  const finalNode = tree ? findNodeByPath(tree.root, record.path) : undefined;
  const deletedWith = deletedAncestor(record);
  const fallback = `${options.origin} (no source position)`;
  if (property !== undefined) {
    const prop = record.properties.get(property);
    if (!prop) return undefined;
    const live = prop.live && record.live && !deletedWith;
    const final = finalNode ? getProperty(finalNode, property) : undefined;
    return {
      path: record.path,
      property,
      live: live && final !== undefined,
      events: prop.events.map((e) => lineOf(e, files, fallback, options.compat)),
      ...(final ? { value: valueText(final, options.compat) } : {}),
      ...(deletedWith ? { deletedWith } : !record.live ? { deletedWith: record.path } : {}),
    };
  }
  const properties = [...record.properties.values()]
    .filter((p) => !PLAIN.includes(p.name) || p.events.some((e) => e.kind !== 'generated'))
    .map((p: PropertyRecord) => {
      const last = p.events[p.events.length - 1];
      return { name: p.name, live: p.live, last: last ? lineOf(last, files, fallback, options.compat) : { kind: 'defined' as const, where: fallback } };
    });
  return {
    path: record.path,
    live: record.live && !deletedWith && finalNode !== undefined,
    events: record.events.map((e) => lineOf(e, files, fallback, options.compat)),
    properties,
    ...(deletedWith ? { deletedWith } : {}),
  };
}

function deletedAncestor(record: NodeRecord): string | undefined {
  for (let r = record.parent; r; r = r.parent) if (!r.live) return r.path;
  return undefined;
}

const VERB: Readonly<Record<ProvenanceEvent['kind'], string>> = {
  defined: 'defined',
  extended: 'extended',
  redefined: 'redefined',
  overridden: 'overridden',
  deleted: 'deleted',
  'deleted-with-node': 'deleted with its node',
  omitted: 'omitted (/omit-if-no-ref/, never referenced)',
  generated: 'generated by dtc',
  'overlay-added': 'added by overlay',
  'overlay-set': 'set by overlay',
};

/** The report as text: one line per event, the source line under it, then the value now. */
export function formatWhy(report: WhyReport): string {
  const out: string[] = [];
  const title = report.property !== undefined ? `${report.path}:${report.property}` : report.path;
  out.push(`${title}${report.live ? '' : report.deletedWith && report.deletedWith !== report.path ? ` (gone: ${report.deletedWith} was deleted)` : ' (gone)'}`);
  const width = Math.max(...report.events.map((e) => VERB[e.kind].length), 7);
  for (const e of report.events) {
    const extra = [e.note, e.kind === 'overridden' || e.kind === 'redefined' ? (e.value !== undefined ? `replaced ${e.value}` : undefined) : e.value !== undefined ? `value ${e.value}` : undefined]
      .filter((x) => x !== undefined)
      .join('; ');
    out.push(`  ${VERB[e.kind].padEnd(width)}  ${e.where}${extra ? `  (${extra})` : ''}`);
    if (e.source) out.push(`  ${' '.repeat(width)}    ${e.source}`);
  }
  if (report.value !== undefined) out.push(`  ${'now'.padEnd(width)}  ${report.value}`);
  if (report.properties && report.properties.length > 0) {
    out.push('  properties:');
    const w = Math.max(...report.properties.map((p) => p.name.length));
    for (const p of report.properties) out.push(`    ${p.name.padEnd(w)}  ${p.live ? '' : '(deleted) '}${VERB[p.last.kind]} ${p.last.where}`);
  }
  return `${out.join('\n')}\n`;
}

/** An overlay observer that records each base edit into the provenance, naming the overlay file. */
export function provenanceObserver(provenance: Provenance, overlayName: string): BaseEditObserver {
  const via = (source: { span?: Span } | undefined): { span?: Span; note?: string } =>
    source?.span ? { span: source.span } : { note: `from ${overlayName} (no source position)` };
  return {
    setProperty(node: DtNode, name: string, _bytes: Uint8Array, source?: Property) {
      const value = source ? { value: { bytes: source.value.bytes, markers: source.value.markers } } : {};
      provenance.overlaySetProperty(nodePath(node), name, { ...via(source), ...value });
    },
    addSubnode(parent: DtNode, name: string, source?: DtNode) {
      const parentPath = nodePath(parent);
      provenance.overlayAddedNode(parentPath === '/' ? `/${name}` : `${parentPath}/${name}`, via(source));
    },
  };
}
