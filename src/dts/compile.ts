import { getNodeByPath, getProperty, fillFullpaths, liveLabels, type LiveNode, type LiveReserve } from './build.js';
import { checkCode, CHECKS, runChecks, type CheckLevel } from './checks.js';
import type { Diagnostic } from './diagnostics.js';
import { writeDtb, type DtbWriteOptions } from './dtb-write.js';
import { LineMarkerMap } from './line-markers.js';
import { Parser } from './parser.js';
import { PhandleAllocator, type PhandleFormat } from './phandles.js';
import { latin1, Scanner } from './scanner.js';
import { SourceFile, TextlessSourceFile, type OriginMap, type Span } from '../diagnostics/source.js';
import { FixupError, generateFixups, generateLabelTree, generateLocalFixups } from './symbols.js';
import type { DeviceTree, DtNode, MemReserve } from './tree.js';

/**
 * The compiler's public entry: DTS text in, DeviceTree and DTB bytes out, every problem as a Diagnostic.
 * Pure: files are read through `readFile`, so the CLI supplies the filesystem and tests supply maps.
 */

export interface CompileHost {
  /** Reads /include/ and /incbin/ files; undefined when the file cannot be read. */
  readFile(path: string): Uint8Array | undefined;
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
  /** dtc -W/-E: check name to level. */
  checkLevels?: ReadonlyMap<string, CheckLevel>;
  dtb?: DtbWriteOptions;
}

export interface CompileResult {
  ok: boolean;
  tree: DeviceTree | undefined;
  dtb: Uint8Array | undefined;
  diagnostics: Diagnostic[];
  /**
   * Every source text read, by name, for formatting diagnostics. A file named by a line marker that the host
   * cannot read is a TextlessSourceFile (position only).
   */
  files: Map<string, SourceFile>;
}

/** Applies dtc's `-W name`, `-Wno-name`, `-E name`, `-Eno-name` to a level table. */
export function applyCheckOption(levels: Map<string, CheckLevel>, flag: 'W' | 'E', arg: string): boolean {
  const off = arg.startsWith('no-');
  const name = (off ? arg.slice(3) : arg).replace(/-/g, '_');
  const check = CHECKS.find((c) => c.name === name);
  if (!check) return false;
  const current = levels.get(name) ?? check.level;
  let next: CheckLevel = current;
  if (flag === 'W') next = off ? (current === 'warning' ? 'off' : current) : current === 'off' ? 'warning' : current;
  else next = off ? (current === 'error' ? 'warning' : current) : 'error';
  levels.set(name, next);
  return true;
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

function exportNode(node: LiveNode, parent: DtNode | undefined): DtNode {
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
  if (node.span) out.span = node.span;
  for (const p of node.props) {
    if (p.deleted) continue;
    const prop = { name: p.name, labels: liveLabels(p.labels), value: { bytes: new Uint8Array(p.data.bytes), markers: p.data.markers.map((m) => ({ ...m })) }, deleted: false };
    out.properties.push(p.span ? { ...prop, span: p.span } : prop);
  }
  for (const c of node.children) if (!c.deleted) out.children.push(exportNode(c, out));
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

export function compileDts(source: string | Uint8Array, options: CompileOptions): CompileResult {
  const text = typeof source === 'string' ? source : latin1(source);
  const files = new Map<string, SourceFile>([[options.fileName, new SourceFile(options.fileName, text)]]);
  const diagnostics: Diagnostic[] = [];
  let failed = false;

  const markers = new LineMarkerMap(files.get(options.fileName) ?? new SourceFile(options.fileName, text));
  const markedFile = (name: string): SourceFile => {
    let file = files.get(name);
    if (!file) {
      const bytes = options.host?.readFile(name);
      file = bytes ? new SourceFile(name, latin1(bytes)) : new TextlessSourceFile(name);
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
  const push = (code: string, severity: 'error' | 'warning', message: string, span: Span | undefined): void => {
    const mapped = mapSpan(span);
    diagnostics.push(mapped ? { code, severity, message, span: mapped } : { code, severity, message });
    if (severity === 'error') failed = true;
  };
  const result = (tree?: DeviceTree, dtb?: Uint8Array): CompileResult => ({ ok: !failed, tree, dtb, diagnostics, files });

  const host = options.host;
  const scanner = new Scanner(
    options.fileName,
    text,
    host ? { readFile: (p) => host.readFile(p), includeDirs: options.includeDirs ?? [] } : undefined,
    (p) => push(p.code, 'error', p.message, p.span),
    (f) => files.set(f.name, new SourceFile(f.name, f.text)),
    (m) => {
      if (!options.origins) markers.add(m);
    },
  );
  const parsed = new Parser(scanner, (p) => push(p.code, 'error', p.message, p.span)).parse();
  const root = parsed.root;
  // `failed` is set by the push() callbacks the scanner and parser call; TypeScript does not see those writes.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (!root || failed) return result();

  const tree: { bootCpuidPhys: number } = { bootCpuidPhys: options.bootCpu ?? guessBootCpuid(root) };
  fillFullpaths(root, '');
  const alloc = new PhandleAllocator(root, options.phandleFormat ?? 'epapr');
  const checkFailed = runChecks(
    { root, plugin: parsed.plugin, symbols: options.symbols ?? false, alloc },
    options.checkLevels ?? new Map(),
    (f) => push(checkCode(f.check), f.level, `${f.message} [${f.check}]`, f.span),
  );
  if (checkFailed && !options.force) {
    failed = true;
    return result();
  }
  const warnings = (m: string): void => push('DTS3001', 'warning', m, undefined);
  if (options.autoAliases) generateLabelTree(root, 'aliases', undefined, warnings);
  if (options.symbols) generateLabelTree(root, '__symbols__', alloc, warnings);
  if (parsed.plugin) {
    try {
      generateFixups(root);
      generateLocalFixups(root);
    } catch (e) {
      if (!(e instanceof FixupError)) throw e;
      push('DTS3002', 'error', e.message, undefined);
      return result();
    }
  }
  if (options.sort) sortTree(root, parsed.reserves);

  const memreserves: MemReserve[] = parsed.reserves.map((r) => ({ address: r.address, size: r.size, labels: liveLabels(r.labels) }));
  const deviceTree: DeviceTree = { root: exportNode(root, undefined), memreserves, plugin: parsed.plugin, bootCpuidPhys: tree.bootCpuidPhys };
  const dtbOptions: DtbWriteOptions = { ...options.dtb, warn: warnings };
  return result(deviceTree, writeDtb(deviceTree, dtbOptions));
}
