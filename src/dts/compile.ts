import type { HostRead } from './host.js';
import { buildNode, getNodeByPath, getProperty, getSubnode, fillFullpaths, liveLabels, type LiveNode, type LiveProperty, type LiveReserve } from './build.js';
import { applyCheckSwitch, checkCode, runChecks, type CheckLevel } from './checks.js';
import { DEFAULT_COMPAT, features as featuresOf, type DtcCompat, type DtcFeatures } from './compat.js';
import { DtsError, type Diagnostic } from './diagnostics.js';
import { readDtb } from './dtb-read.js';
import { writeDtb, type DtbWriteOptions } from './dtb-write.js';
import { LineMarkerMap } from './line-markers.js';
import { Parser } from './parser.js';
import { PhandleAllocator, type PhandleFormat } from './phandles.js';
import { Provenance } from './provenance.js';
import { latin1, Scanner } from './scanner.js';
import { SourceFile, TextlessSourceFile, type OriginMap, type Span } from '../diagnostics/source.js';
import {
  FixupError,
  generateFixups,
  generateLabelTree,
  generateLocalFixups,
  labelsFromSymbols,
  referencesFromFixups,
  referencesFromLocalFixups,
} from './symbols.js';
import type { DeviceTree, DtNode, MemReserve, Property, SourcePosition } from './tree.js';

/**
 * The compiler's public entry: DTS text (or a DTB) in, DeviceTree and DTB bytes out, every problem as a
 * Diagnostic. Pure: files are read through `readFile`, so the CLI supplies the filesystem and tests supply
 * maps. `compat` picks the dtc generation whose syntax, checks, messages and generated nodes to reproduce.
 */

export interface CompileHost {
  /** Reads /include/ and /incbin/ files: undefined when there is none, a refusal when it will not be read. */
  readFile(path: string): HostRead<Uint8Array>;
}

export interface CompileOptions {
  /** Name of the main source, used in spans and as the base for relative includes' search. */
  fileName: string;
  host?: CompileHost;
  /** dtc -i: include search directories. */
  includeDirs?: readonly string[];
  /**
   * Where offsets of `source` came from when it is preprocessor output. Without it, cpp line markers in
   * `source` (cpp run outside mdio-emu) name the file and line instead, as they do for dtc.
   */
  origins?: OriginMap;
  /** dtc -@. */
  symbols?: boolean;
  /** dtc -A. */
  autoAliases?: boolean;
  /** dtc -b. */
  bootCpu?: number;
  /** dtc -H. */
  phandleFormat?: PhandleFormat;
  /** dtc -f: output even when error-level checks fail. */
  force?: boolean;
  /** dtc -s. */
  sort?: boolean;
  /** dtc -W/-E: check name to level (applyCheckOption builds it as dtc does). */
  checkLevels?: ReadonlyMap<string, CheckLevel>;
  /** dtc 1.7's -L: generate __fixups__ and __local_fixups__ even without /plugin/. */
  localFixups?: boolean;
  dtb?: DtbWriteOptions;
  /** The dtc generation to reproduce; the newest when absent. */
  compat?: DtcCompat;
  /**
   * Keep where every node and property was defined, overridden and deleted (result.provenance), for
   * `mdio-emu dts why`. The compiler records these events anyway; this only keeps the deleted items' record.
   */
  provenance?: boolean;
  /** Keep every definition's dtc srcpos on the tree's nodes and properties (`sources`), for dtc -T. */
  annotate?: boolean;
}

export interface CompileResult {
  ok: boolean;
  tree: DeviceTree | undefined;
  dtb: Uint8Array | undefined;
  diagnostics: Diagnostic[];
  /** An error-level check failed (with `force`, output was produced anyway): dtc exits 2 without -f. */
  checksFailed: boolean;
  /**
   * Every file opened through the host, in the order dtc's srcfile_relative_open opens them (/include/ and
   * /incbin/, once per opening), for dtc -d. The main source is not in it.
   */
  dependencies: string[];
  /**
   * Every source text read, by name, for formatting diagnostics. A file named by a line marker that the host
   * cannot read is a TextlessSourceFile (position only).
   */
  files: Map<string, SourceFile>;
  /** With `provenance: true`: the history of every node and property, deleted ones included. */
  provenance?: Provenance;
  /**
   * With `annotate`: the path dtc shortens -T file names against (srcpos.c initial_path: the input's
   * name, or the first cpp line marker's).
   */
  initialPath?: string;
}

/**
 * Applies dtc's `-W name`, `-Wno-name`, `-E name`, `-Eno-name` to a level table, raising prerequisites and
 * lowering dependants as dtc does; false when the generation has no such check.
 */
export function applyCheckOption(levels: Map<string, CheckLevel>, flag: 'W' | 'E', arg: string, compat: DtcCompat = DEFAULT_COMPAT): boolean {
  return applyCheckSwitch(levels, flag, arg, compat);
}

/** livetree.c guess_boot_cpuid: reg of the first child of /cpus, read when parsing ends. */
function guessBootCpuid(root: LiveNode): number {
  const cpus = getNodeByPath(root, '/cpus');
  const first = cpus?.children[0];
  if (!first) return 0;
  const reg = getProperty(first, 'reg');
  if (!reg || reg.data.bytes.length !== 4) return 0;
  const b = reg.data.bytes;
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

/** The public tree: live items only, spans in the files the user wrote. */
function exportNode(
  node: LiveNode,
  parent: DtNode | undefined,
  mapSpan: (s: Span | undefined) => Span | undefined,
  describe?: (s: Span | undefined) => SourcePosition | undefined,
): DtNode {
  const out: DtNode = {
    name: node.name,
    labels: liveLabels(node.labels),
    properties: [],
    children: [],
    parent,
    deleted: false,
    omitIfNoRef: node.omitIfUnused,
    referenced: node.referenced,
    phandle: node.phandle,
  };
  const span = mapSpan(node.span);
  if (span) out.span = span;
  if (describe) {
    // dtc's merge_nodes extends the node's srcpos with each later definition's (srcpos_extend).
    const extensions = (node.history ?? []).filter((e) => e.kind === 'extended').map((e) => e.span);
    const sources = [node.span, ...extensions].map(describe).filter((p) => p !== undefined);
    if (sources.length > 0) out.sources = sources;
  }
  for (const p of node.props) {
    if (p.deleted) continue;
    const prop: Property = { name: p.name, labels: liveLabels(p.labels), value: { bytes: new Uint8Array(p.data.bytes), markers: p.data.markers.map((m) => ({ ...m })) }, deleted: false };
    const propSpan = mapSpan(p.span);
    if (propSpan) prop.span = propSpan;
    const source = describe?.(p.span);
    if (source) prop.sources = [source];
    out.properties.push(prop);
  }
  for (const c of node.children) if (!c.deleted) out.children.push(exportNode(c, out, mapSpan, describe));
  return out;
}

function sortTree(node: LiveNode, reserves: LiveReserve[]): void {
  reserves.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.size < b.size ? -1 : a.size > b.size ? 1 : 0));
  const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const visit = (n: LiveNode): void => {
    n.props.sort(byName);
    n.children.sort(byName);
    n.children.forEach(visit);
  };
  visit(node);
}

type Push = (code: string, severity: 'error' | 'warning', message: string, span: Span | undefined, related?: { message: string; span: Span }) => void;

interface ParsedTree {
  root: LiveNode;
  reserves: LiveReserve[];
  plugin: boolean;
  /** boot_cpuid_phys before -b: guessed from /cpus for source, the header's for a blob. */
  bootCpuid: number;
}

/**
 * dtc.c main after the input is read, for every input format: full paths, the checks (which assign phandles
 * and resolve references), the generated trees, sorting, then the DeviceTree and its blob.
 */
function finish(
  parsed: ParsedTree,
  options: CompileOptions,
  f: DtcFeatures,
  push: Push,
  mapSpan: (s: Span | undefined) => Span | undefined,
  onChecksFailed: () => void,
  describe?: (s: Span | undefined) => SourcePosition | undefined,
): { tree: DeviceTree; dtb: Uint8Array; root: LiveNode } | undefined {
  const { root, plugin } = parsed;
  fillFullpaths(root, '');
  const alloc = new PhandleAllocator(root, options.phandleFormat ?? 'epapr', f);
  const checkFailed = runChecks(
    { root, plugin, symbols: options.symbols ?? false, alloc, features: f },
    options.checkLevels ?? new Map(),
    (c) => push(checkCode(c.check), c.level, `${c.message} [${c.check}]`, c.span, c.related),
  );
  if (checkFailed) onChecksFailed();
  if (checkFailed && !options.force) return undefined;
  const warnings = (m: string): void => push('DTS3001', 'warning', m, undefined);
  if (options.autoAliases) generateLabelTree(root, 'aliases', undefined, warnings, f);
  if (f.restoreFromGenerated) {
    labelsFromSymbols(root, f, warnings);
    alloc.index.invalidate();
  }
  if (options.symbols) generateLabelTree(root, '__symbols__', alloc, warnings, f);
  if (f.restoreFromGenerated) {
    referencesFromFixups(root, f, warnings);
    referencesFromLocalFixups(root, alloc.index, f, warnings);
  }
  if (plugin || (options.localFixups && f.compat >= '1.7')) {
    try {
      generateFixups(root, alloc.index, f, warnings);
      generateLocalFixups(root, alloc.index, f, warnings);
    } catch (e) {
      if (!(e instanceof FixupError)) throw e;
      push('DTS3002', 'error', e.message, undefined);
      return undefined;
    }
  }
  if (options.sort) sortTree(root, parsed.reserves);

  const memreserves: MemReserve[] = parsed.reserves.map((r) => ({ address: r.address, size: r.size, labels: liveLabels(r.labels) }));
  const bootCpuidPhys = options.bootCpu ?? parsed.bootCpuid;
  const tree: DeviceTree = { root: exportNode(root, undefined, mapSpan, describe), memreserves, plugin, bootCpuidPhys };
  const dtbOptions: DtbWriteOptions = { ...options.dtb, warn: warnings };
  return { tree, dtb: writeDtb(tree, dtbOptions), root };
}

export function compileDts(source: string | Uint8Array, options: CompileOptions): CompileResult {
  const f = featuresOf(options.compat);
  const text = typeof source === 'string' ? source : latin1(source);
  const files = new Map<string, SourceFile>([[options.fileName, new SourceFile(options.fileName, text)]]);
  const diagnostics: Diagnostic[] = [];
  let failed = false;

  const markers = new LineMarkerMap(files.get(options.fileName) ?? new SourceFile(options.fileName, text));
  const markedFile = (name: string): SourceFile => {
    let file = files.get(name);
    if (!file) {
      const bytes = options.host?.readFile(name);
      file = bytes instanceof Uint8Array ? new SourceFile(name, latin1(bytes)) : new TextlessSourceFile(name);
      files.set(name, file);
    }
    return file;
  };
  // The scanner has passed every marker before a span by the time the span is reported, so mapping at once is exact.
  const mapThroughMarkers = (span: Span): Span => {
    const a = markers.position(span.start);
    const b = markers.position(Math.max(span.start, span.end - 1));
    const file = markedFile(a.file);
    const start = file.offsetAt(a.line, a.column);
    const end = b.file === a.file ? Math.max(file.offsetAt(b.line, b.column) + 1, start + 1) : start + 1;
    return { file: a.file, start, end };
  };
  const mapSpan = (span: Span | undefined): Span | undefined => {
    if (!span || span.file !== options.fileName) return span;
    if (!options.origins) return markers.isEmpty ? span : mapThroughMarkers(span);
    const a = options.origins.resolve(span.start);
    const b = options.origins.resolve(Math.max(span.start, span.end - 1));
    return { file: a.file, start: a.offset, end: b.file === a.file ? b.offset + 1 : a.offset + 1 };
  };
  const push: Push = (code, severity, message, span, related) => {
    const mapped = mapSpan(span);
    const relatedSpan = mapSpan(related?.span);
    const d: Diagnostic = {
      code,
      severity,
      message,
      ...(mapped ? { span: mapped } : {}),
      ...(related && relatedSpan ? { related: [{ message: related.message, span: relatedSpan }] } : {}),
    };
    diagnostics.push(d);
    if (severity === 'error') failed = true;
  };
  let checksFailed = false;
  const dependencies: string[] = [];
  const result = (tree?: DeviceTree, dtb?: Uint8Array, root?: LiveNode): CompileResult => {
    const r: CompileResult = { ok: !failed, tree, dtb, diagnostics, checksFailed, dependencies, files };
    if (options.annotate) r.initialPath = initialPath;
    if (options.provenance && root) r.provenance = Provenance.fromLiveTree(root, mapSpan);
    return r;
  };

  // dtc -T: positions as dtc's lexer counts them, in the text it scanned (srcpos.c srcpos_update), under the
  // names line markers give; only the --cpp path (origins) points into the files behind the expanded text.
  let initialPath = options.fileName;
  const positionOf = (file: string, offset: number): { file: string; line: number; column: number } => {
    if (file !== options.fileName) return { file, ...(files.get(file) ?? new TextlessSourceFile(file)).position(offset) };
    if (!options.origins) return markers.position(offset);
    const origin = options.origins.resolve(offset);
    return { file: origin.file, ...markedFile(origin.file).position(origin.offset) };
  };
  const describe = (span: Span | undefined): SourcePosition | undefined => {
    if (!span) return undefined;
    const first = positionOf(span.file, span.start);
    const last = positionOf(span.file, Math.max(span.start, span.end - 1));
    return { file: first.file, firstLine: first.line, firstColumn: first.column, lastLine: last.line, lastColumn: last.column + 1 };
  };

  const host = options.host;
  const scanner = new Scanner(
    options.fileName,
    text,
    host
      ? {
          readFile: (p) => {
            const bytes = host.readFile(p);
            if (bytes instanceof Uint8Array) dependencies.push(p);
            return bytes;
          },
          includeDirs: options.includeDirs ?? [],
        }
      : undefined,
    (p) => push(p.code, 'error', p.message, p.span),
    (file) => files.set(file.name, new SourceFile(file.name, file.text)),
    (m) => {
      if (options.origins) return;
      if (markers.isEmpty) initialPath = m.file;
      markers.add(m);
    },
    f,
  );
  const parsed = new Parser(scanner, (p) => push(p.code, p.severity ?? 'error', p.message, p.span)).parse();
  const root = parsed.root;
  // `failed` is set by the push() callbacks the scanner and parser call; TypeScript does not see those writes.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (!root || failed) return result();

  const done = finish(
    { root, reserves: parsed.reserves, plugin: parsed.plugin, bootCpuid: options.bootCpu ?? guessBootCpuid(root) },
    options,
    f,
    push,
    mapSpan,
    () => {
      checksFailed = true;
    },
    options.annotate ? describe : undefined,
  );
  if (!done) {
    failed = true;
    return result(undefined, undefined, options.provenance ? root : undefined);
  }
  return result(done.tree, done.dtb, done.root);
}

/** A tree read from a blob, as dtc's flattree.c builds it: no labels, no markers, no positions. */
function liveFromTree(node: DtNode, parent: LiveNode | undefined): LiveNode {
  const props: LiveProperty[] = node.properties.map((p) => ({ name: p.name, labels: [], data: { bytes: Array.from(p.value.bytes), markers: [] }, deleted: false, span: undefined }));
  const live = buildNode(props, [], undefined);
  live.name = node.name;
  live.parent = parent;
  for (const c of node.children) live.children.push(liveFromTree(c, live));
  return live;
}

/**
 * `dtc -I dtb`: the blob read, then the same checks and generated trees as for source (dtc 1.8 also reads
 * labels and references back from __symbols__ and the fixups, and calls a tree with fixups a plugin).
 * Diagnostics for a malformed blob are DTS4xxx with byte offsets.
 */
export function compileDtb(blob: Uint8Array, options: Omit<CompileOptions, 'host' | 'includeDirs' | 'origins'>): CompileResult {
  const f = featuresOf(options.compat);
  const files = new Map<string, SourceFile>();
  const diagnostics: Diagnostic[] = [];
  let failed = false;
  const push: Push = (code, severity, message, span) => {
    diagnostics.push(span ? { code, severity, message, span } : { code, severity, message });
    if (severity === 'error') failed = true;
  };
  let read: DeviceTree;
  try {
    read = readDtb(blob, { fileName: options.fileName });
  } catch (e) {
    if (!(e instanceof DtsError)) throw e;
    return { ok: false, tree: undefined, dtb: undefined, diagnostics: [...e.diagnostics], checksFailed: false, dependencies: [], files };
  }
  const root = liveFromTree(read.root, undefined);
  const plugin = f.restoreFromGenerated && (getSubnode(root, '__fixups__', f) !== undefined || getSubnode(root, '__local_fixups__', f) !== undefined);
  const reserves: LiveReserve[] = read.memreserves.map((r) => ({ address: r.address, size: r.size, labels: [] }));
  let checksFailed = false;
  const done = finish({ root, reserves, plugin, bootCpuid: read.bootCpuidPhys }, options, f, push, (s) => s, () => {
    checksFailed = true;
  });
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- push() sets `failed` from inside finish().
  const r: CompileResult = { ok: !failed && done !== undefined, tree: done?.tree, dtb: done?.dtb, diagnostics, checksFailed, dependencies: [], files };
  if (options.provenance) r.provenance = Provenance.fromLiveTree(root, (s) => s);
  return r;
}
