import type { Data, HistoryEvent, LiveNode, LiveProperty } from './build.js';
import type { Span } from '../diagnostics/source.js';
import type { Marker } from './tree.js';

/**
 * Where every node and property of a compiled tree came from: its first definition, each later `&label { }`
 * or `/ { }` that extended a node, each value that overrode a property, each /delete-node/ and
 * /delete-property/, what dtc generated (phandles, __symbols__, fixups) and what overlays applied on top
 * set. The compiler records the events as it merges (build.ts HistoryEvent); this turns them into a record
 * by path that keeps deleted nodes and properties too, for `mdio-emu dts why`.
 */

export type ProvenanceKind =
  | 'defined'
  | 'extended'
  | 'redefined'
  | 'overridden'
  | 'deleted'
  | 'deleted-with-node'
  | 'omitted'
  | 'generated'
  | 'overlay-added'
  | 'overlay-set';

export interface ProvenanceEvent {
  readonly kind: ProvenanceKind;
  /** In the file the user wrote (after cpp, through its line markers). */
  readonly span?: Span;
  /** A value this event replaced (`overridden`) or set (`overlay-set`), as raw bytes and markers. */
  readonly value?: { bytes: Uint8Array; markers: Marker[] };
  readonly note?: string;
}

export interface PropertyRecord {
  readonly name: string;
  live: boolean;
  readonly events: ProvenanceEvent[];
}

export interface NodeRecord {
  readonly path: string;
  live: boolean;
  readonly events: ProvenanceEvent[];
  readonly properties: Map<string, PropertyRecord>;
  readonly children: Map<string, NodeRecord>;
  readonly parent: NodeRecord | undefined;
}

const joinPath = (parent: string, name: string): string => (parent === '/' ? `/${name}` : `${parent}/${name}`);

const valueOf = (d: Data): { bytes: Uint8Array; markers: Marker[] } => ({ bytes: Uint8Array.from(d.bytes), markers: d.markers.map((m) => ({ ...m })) });

export class Provenance {
  readonly root: NodeRecord;

  private constructor(root: NodeRecord) {
    this.root = root;
  }

  static empty(): Provenance {
    return new Provenance(newNode('/', undefined));
  }

  /** From a live tree after compilation; `mapSpan` turns preprocessed offsets into the user's files. */
  static fromLiveTree(root: LiveNode, mapSpan: (span: Span | undefined) => Span | undefined): Provenance {
    const at = (span: Span | undefined): { span?: Span } => {
      const mapped = mapSpan(span);
      return mapped ? { span: mapped } : {};
    };
    const visit = (node: LiveNode, record: NodeRecord): void => {
      record.live = !node.deleted;
      if (node.span || node.parent === undefined) record.events.push({ kind: 'defined', ...at(node.span) });
      for (const e of node.history ?? []) record.events.push(nodeEvent(e, at));
      for (const p of node.props) record.properties.set(p.name, propertyRecord(p, at));
      for (const c of node.children) {
        let child = record.children.get(c.name);
        if (!child) {
          child = newNode(joinPath(record.path, c.name), record);
          record.children.set(c.name, child);
        }
        visit(c, child);
      }
    };
    const top = newNode('/', undefined);
    visit(root, top);
    return new Provenance(top);
  }

  /**
   * The record of a path; a component without a unit address matches `name@unit` when that is unambiguous
   * (as dtc and libfdt lookups do), deleted nodes included.
   */
  lookup(path: string): NodeRecord | undefined {
    let node: NodeRecord | undefined = this.root;
    for (const part of path.split('/').filter((s) => s.length > 0)) {
      if (!node) return undefined;
      const exact: NodeRecord | undefined = node.children.get(part);
      if (exact) {
        node = exact;
        continue;
      }
      const matches: NodeRecord[] = part.includes('@') ? [] : [...node.children].filter(([name]) => name.split('@')[0] === part).map(([, r]) => r);
      const live = matches.filter((r) => r.live);
      node = live.length === 1 ? live[0] : matches.length === 1 ? matches[0] : undefined;
    }
    return node;
  }

  /** The record of a node, created (not live) when an overlay adds it. */
  ensure(path: string): NodeRecord {
    let node = this.root;
    for (const part of path.split('/').filter((s) => s.length > 0)) {
      let child = node.children.get(part);
      if (!child) {
        child = newNode(joinPath(node.path, part), node);
        child.live = false;
        node.children.set(part, child);
      }
      node = child;
    }
    return node;
  }

  /** An overlay added the node at `path` (fdt_add_subnode). */
  overlayAddedNode(path: string, event: Omit<ProvenanceEvent, 'kind'>): void {
    const node = this.ensure(path);
    node.live = true;
    node.events.push({ kind: 'overlay-added', ...event });
  }

  /** An overlay set a property (fdt_setprop): a new one, or a new value over the old. */
  overlaySetProperty(path: string, name: string, event: Omit<ProvenanceEvent, 'kind'>): void {
    const node = this.ensure(path);
    let prop = node.properties.get(name);
    if (!prop) {
      prop = { name, live: true, events: [] };
      node.properties.set(name, prop);
    }
    prop.live = true;
    prop.events.push({ kind: 'overlay-set', ...event });
  }
}

function newNode(path: string, parent: NodeRecord | undefined): NodeRecord {
  return { path, live: true, events: [], properties: new Map(), children: new Map(), parent };
}

type At = (span: Span | undefined) => { span?: Span };

function nodeEvent(e: HistoryEvent, at: At): ProvenanceEvent {
  const kind: ProvenanceKind = e.kind === 'extended' && e.wasDeleted ? 'redefined' : e.kind;
  return { kind, ...at(e.span), ...(e.note !== undefined ? { note: e.note } : {}) };
}

function propertyRecord(p: LiveProperty, at: At): PropertyRecord {
  const events: ProvenanceEvent[] = [];
  const history = p.history ?? [];
  const first = history[0];
  if (first?.kind === 'generated') events.push({ kind: 'generated', ...at(first.span), ...(first.note !== undefined ? { note: first.note } : {}) });
  else {
    // The property's own span is its newest definition; each override kept the one it replaced.
    const original = first && 'previousSpan' in first ? first.previousSpan : p.span;
    events.push({ kind: 'defined', ...at(original) });
  }
  for (const e of history) {
    if (e === first && e.kind === 'generated') continue;
    const value = e.previous ? { value: valueOf(e.previous) } : {};
    const kind: ProvenanceKind = e.kind === 'overridden' && e.wasDeleted ? 'redefined' : e.kind;
    events.push({ kind, ...at(e.span), ...value, ...(e.note !== undefined ? { note: e.note } : {}) });
  }
  return { name: p.name, live: !p.deleted, events };
}
