import { relative, isAbsolute } from 'node:path';
import type { Command } from 'commander';
import type { CheckLevel } from '../src/dts/checks.js';
import { applyCheckOption, type CompileResult } from '../src/dts/compile.js';
import { DTC_RELEASE, type DtcCompat } from '../src/dts/compat.js';
import { formatDiagnostic } from '../src/dts/diagnostics.js';
import { diffTrees, formatDiff } from '../src/dts/diff.js';
import { applyOverlay } from '../src/dts/overlay.js';
import { Provenance } from '../src/dts/provenance.js';
import { checkReport, toSarif } from '../src/dts/report.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { explain, formatWhy, provenanceObserver } from '../src/dts/why.js';
import { compatOf } from './dtc.js';
import { loadTree, type LoadedTree, type TreeInput } from './dts-input.js';
import { ExitCodeError } from './run.js';

/**
 * `mdio-emu dts`: what no dtc does, since the compiler is a library.
 *   check FILE         every diagnostic with its position in the .dts/.dtsi written (text, JSON or SARIF 2.1.0);
 *   why TREE PATH[:P]  where a node or property was defined, and every place that overrode or deleted it;
 *   diff A B           two trees compared by meaning (phandle numbers and property order ignored).
 */

const TOOL_VERSION = '0.1.0';

interface InputFlags {
  include: string[];
  define: string[];
  cpp?: boolean;
  compat?: string;
  warning: string[];
  error: string[];
  symbols?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function withInputOptions(cmd: Command): Command {
  return cmd
    .option('-i, --include <dir>', 'include search directory (cpp -I and dtc -i)', collect, [])
    .option('-D, --define <name[=value]>', 'preprocessor definition', collect, [])
    .option('--cpp', 'always run the built-in C preprocessor (default: when the file has #include/#define)')
    .option('--no-cpp', 'never run the preprocessor')
    .option('--compat <version>', 'dtc generation whose checks and semantics apply: 1.6, 1.7 or 1.8')
    .option('-W, --warning <check>', 'enable/disable (no-) a warning check, as dtc -W', collect, [])
    .option('-E, --error <check>', 'enable/disable (no-) an error check, as dtc -E', collect, [])
    .option('-@, --symbols', 'compile as with dtc -@');
}

function treeInput(flags: InputFlags, compat: DtcCompat, extra: TreeInput['extra'] = {}): TreeInput {
  const checkLevels = new Map<string, CheckLevel>();
  for (const [flag, list] of [
    ['W', flags.warning],
    ['E', flags.error],
  ] as const) {
    for (const name of list)
      if (!applyCheckOption(checkLevels, flag, name, compat))
        throw new ExitCodeError(2, `mdio-emu dts: unknown check "${name}" in dtc ${compat}`);
  }
  return {
    include: flags.include,
    define: flags.define,
    ...(flags.cpp !== undefined ? { cpp: flags.cpp } : {}),
    compat,
    extra: { checkLevels, ...(flags.symbols ? { symbols: true } : {}), ...extra },
  };
}

function printAll(result: CompileResult): void {
  for (const d of result.diagnostics) process.stderr.write(`${formatDiagnostic(d, result.files)}\n`);
}

/** A tree the `why`/`diff` tools can use: errors end the command, as they end dtc. */
function requireTree(path: string, loaded: LoadedTree): DeviceTree {
  if (!loaded.result.tree || !loaded.result.ok) {
    printAll(loaded.result);
    throw new ExitCodeError(2, `mdio-emu dts: ${path} has errors`);
  }
  return loaded.result.tree;
}

const sarifUri = (file: string): string => {
  const rel = isAbsolute(file) ? relative(process.cwd(), file) : file;
  const path = rel.startsWith('..') ? file : rel;
  return path.split('/').map(encodeURIComponent).join('/');
};

export function register(program: Command): void {
  const dts = program.command('dts').description('device tree tools: check, why, diff');

  withInputOptions(
    dts
      .command('check')
      .description('report every diagnostic with its file, line and column (exit 1 on errors)')
      .argument('<file>', 'DTS (or DTB) file')
      .option('--format <format>', 'text, json or sarif', 'text'),
  ).action((file: string, opts: InputFlags & { format: string }) => {
    if (!['text', 'json', 'sarif'].includes(opts.format))
      throw new ExitCodeError(2, `mdio-emu dts check: unknown format "${opts.format}" (text, json or sarif)`);
    const compat = compatOf(opts);
    const { result } = loadTree(file, treeInput(opts, compat));
    const report = checkReport(file, compat, result.ok, result.diagnostics, result.files);
    if (opts.format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (opts.format === 'sarif')
      process.stdout.write(
        `${JSON.stringify(toSarif(report, { toolVersion: TOOL_VERSION, dtcRelease: DTC_RELEASE[compat], uri: sarifUri }), null, 2)}\n`,
      );
    else {
      printAll(result);
      process.stdout.write(
        `${file}: ${result.ok ? 'ok' : 'failed'}, ${report.errors} error(s), ${report.warnings} warning(s)\n`,
      );
    }
    if (!result.ok) process.exitCode = 1;
  });

  withInputOptions(
    dts
      .command('why')
      .description('where a node or property was defined, and every place that overrode or deleted it')
      .argument('<tree>', 'DTS or DTB file')
      .argument('<target>', 'node path, or path:property')
      .option(
        '--overlay <file>',
        'an overlay (DTS with /plugin/ or DTBO) applied on top; repeat for more',
        collect,
        [],
      )
      .option('--json', 'print the report as JSON'),
  ).action((file: string, target: string, opts: InputFlags & { overlay: string[]; json?: boolean }) => {
    const compat = compatOf(opts);
    // Overlays resolve base labels through __symbols__, so a base they apply to is compiled as with -@.
    const base = loadTree(
      file,
      treeInput({ ...opts, symbols: opts.symbols ?? opts.overlay.length > 0 }, compat, { provenance: true }),
    );
    let tree = requireTree(file, base);
    const provenance = base.result.provenance ?? Provenance.empty();
    const files = new Map(base.result.files);
    for (const ovl of opts.overlay) {
      const loaded = loadTree(ovl, treeInput({ ...opts, symbols: false, warning: [], error: [] }, compat));
      const overlay = requireTree(ovl, loaded);
      for (const [name, f] of loaded.result.files) files.set(name, f);
      tree = applyOverlay(tree, overlay, { observer: provenanceObserver(provenance, ovl) });
    }
    const report = explain(provenance, tree, target, files, { origin: file, compat });
    if (!report)
      throw new ExitCodeError(
        1,
        `mdio-emu dts why: ${target} is not in ${file}${opts.overlay.length > 0 ? ' or its overlays' : ''}`,
      );
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatWhy(report));
  });

  withInputOptions(
    dts
      .command('diff')
      .description('compare two trees by meaning: exit 0 when equal, 1 when they differ, 2 on trouble')
      .argument('<a>', 'DTS or DTB file')
      .argument('<b>', 'DTS or DTB file'),
  ).action((a: string, b: string, opts: InputFlags) => {
    const compat = compatOf(opts);
    const ta = requireTree(a, loadTree(a, treeInput(opts, compat)));
    const tb = requireTree(b, loadTree(b, treeInput(opts, compat)));
    const diff = diffTrees(ta, tb);
    process.stdout.write(formatDiff(diff, a, b));
    if (!diff.equal) process.exitCode = 1;
  });
}
