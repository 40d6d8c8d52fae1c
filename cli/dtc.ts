import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { applyCheckOption, compileDts, type CompileResult } from '../src/dts/compile.js';
import type { CheckLevel } from '../src/dts/checks.js';
import { formatDiagnostic, type Diagnostic } from '../src/dts/diagnostics.js';
import { readDtb } from '../src/dts/dtb-read.js';
import { writeDtb } from '../src/dts/dtb-write.js';
import { preprocess } from '../src/dts/preprocess.js';
import { printDts } from '../src/dts/print.js';
import type { PhandleFormat } from '../src/dts/phandles.js';
import { SourceFile } from '../src/diagnostics/source.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { ExitCodeError } from './run.js';

/**
 * `mdio-emu dtc`: a drop-in for `dtc -I dts|dtb -O dtb|dts` with dtc's common flags, plus `--cpp` to run the
 * built-in C preprocessor first, as kernel builds run cpp before dtc.
 */

export interface DtcFlags {
  inForm: string;
  outForm: string;
  out?: string;
  include: string[];
  bootCpu?: string;
  symbols?: boolean;
  quiet: number;
  warning: string[];
  error: string[];
  force?: boolean;
  sort?: boolean;
  autoAliases?: boolean;
  phandle?: string;
  reserve?: string;
  space?: string;
  pad?: string;
  align?: string;
  cpp?: boolean;
  define: string[];
  undefine: string[];
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const count = (_v: string, prev: number): number => prev + 1;

function readInput(path: string): Uint8Array {
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw new ExitCodeError(1, `mdio-emu dtc: couldn't open "${path}": ${(e as Error).message}`);
  }
}

function readHostFile(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function parseInteger(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = v.startsWith('0x') ? parseInt(v, 16) : parseInt(v, v.startsWith('0') && v.length > 1 ? 8 : 10);
  if (!Number.isFinite(n) || n < 0) throw new ExitCodeError(2, `mdio-emu dtc: bad value for ${flag}: ${v}`);
  return n;
}

export function printDiagnostics(
  diagnostics: readonly Diagnostic[],
  files: ReadonlyMap<string, SourceFile>,
  quiet: number,
): void {
  for (const d of diagnostics) {
    if (d.severity === 'warning' && quiet >= 1) continue;
    if (d.severity === 'error' && quiet >= 2) continue;
    process.stderr.write(`${formatDiagnostic(d, files)}\n`);
  }
}

/** Compiles a DTS file (optionally through the preprocessor) with dtc's options; prints diagnostics. */
export function compileFile(input: string, flags: DtcFlags): CompileResult {
  const levels = new Map<string, CheckLevel>();
  for (const w of flags.warning)
    if (!applyCheckOption(levels, 'W', w)) throw new ExitCodeError(2, `mdio-emu dtc: unknown check "${w}"`);
  for (const e of flags.error)
    if (!applyCheckOption(levels, 'E', e)) throw new ExitCodeError(2, `mdio-emu dtc: unknown check "${e}"`);
  const phandle = flags.phandle ?? 'epapr';
  if (!['legacy', 'epapr', 'both'].includes(phandle))
    throw new ExitCodeError(2, `mdio-emu dtc: invalid argument "${phandle}" to -H option`);

  let source: string | Uint8Array;
  let origins;
  const extraFiles = new Map<string, SourceFile>();
  const ppDiagnostics: Diagnostic[] = [];
  if (flags.cpp) {
    const defineMap = new Map<string, string>([['__DTS__', '1']]);
    for (const d of flags.define) {
      const eq = d.indexOf('=');
      if (eq < 0) defineMap.set(d, '1');
      else defineMap.set(d.slice(0, eq), d.slice(eq + 1));
    }
    for (const u of flags.undefine) defineMap.delete(u);
    const defines = Object.fromEntries(defineMap);
    const pp = preprocess(
      input,
      {
        readFile: (p) => {
          const b = readHostFile(p);
          return b ? Buffer.from(b).toString('latin1') : undefined;
        },
      },
      { includeDirs: flags.include, defines },
    );
    for (const [name, text] of pp.files) extraFiles.set(name, new SourceFile(name, text));
    ppDiagnostics.push(...pp.diagnostics);
    source = pp.text;
    origins = pp.origins;
  } else source = readInput(input);

  const bootCpu = parseInteger(flags.bootCpu, '-b');
  const reserveSlots = parseInteger(flags.reserve, '-R');
  const minSize = parseInteger(flags.space, '-S');
  const padSize = parseInteger(flags.pad, '-p');
  const alignSize = parseInteger(flags.align, '-a');
  const result = compileDts(source, {
    fileName: input === '-' ? '<stdin>' : input,
    host: { readFile: readHostFile },
    includeDirs: flags.include,
    ...(origins ? { origins } : {}),
    symbols: flags.symbols ?? false,
    autoAliases: flags.autoAliases ?? false,
    ...(bootCpu !== undefined ? { bootCpu } : {}),
    phandleFormat: phandle as PhandleFormat,
    force: flags.force ?? false,
    sort: flags.sort ?? false,
    checkLevels: levels,
    dtb: {
      ...(reserveSlots !== undefined ? { reserveSlots } : {}),
      ...(minSize !== undefined ? { minSize } : {}),
      ...(padSize !== undefined ? { padSize } : {}),
      ...(alignSize !== undefined ? { alignSize } : {}),
    },
  });
  // Spans in the preprocessed text were mapped to the real files: format them against the real texts.
  for (const [name, file] of extraFiles) result.files.set(name, file);
  result.diagnostics.unshift(...ppDiagnostics);
  printDiagnostics(result.diagnostics, result.files, flags.quiet);
  return result;
}

function output(path: string | undefined, data: Uint8Array | string): void {
  if (path === undefined || path === '-') process.stdout.write(data);
  else writeFileSync(path, data);
}

export function register(program: Command): void {
  program
    .command('dtc')
    .description('device tree compiler, byte-compatible with dtc 1.6.1 (-I dts|dtb, -O dtb|dts)')
    .argument('<input>', 'input file, or - for stdin')
    .option('-I, --in-format <format>', 'input format: dts or dtb', 'dts')
    .option('-O, --out-format <format>', 'output format: dtb or dts', 'dtb')
    .option('-o, --out <file>', 'output file (default stdout)')
    .option(
      '-i, --include <dir>',
      'add a search path for /include/ and /incbin/ (and #include with --cpp)',
      collect,
      [],
    )
    .option('-b, --boot-cpu <n>', 'boot_cpuid_phys in the DTB header')
    .option('-@, --symbols', 'generate __symbols__ for labels')
    .option('-A, --auto-alias', 'generate aliases for labels')
    .option('-q, --quiet', 'fewer messages (repeat for even fewer)', count, 0)
    .option('-W, --warning <check>', 'enable/disable (no-) a warning check', collect, [])
    .option('-E, --error <check>', 'enable/disable (no-) an error check', collect, [])
    .option('-f, --force', 'write output even when error checks fail')
    .option('-s, --sort', 'sort nodes and properties')
    .option('-H, --phandle <format>', 'phandle properties: legacy, epapr or both', 'epapr')
    .option('-R, --reserve <n>', 'extra empty memory reservation slots')
    .option('-S, --space <bytes>', 'minimum blob size')
    .option('-p, --pad <bytes>', 'padding bytes at the end of the blob')
    .option('-a, --align <bytes>', 'align the blob size to this many bytes')
    .option('--cpp', 'run the built-in C preprocessor first (as cpp -x assembler-with-cpp -D__DTS__)')
    .option('-D, --define <name[=value]>', 'preprocessor definition (with --cpp)', collect, [])
    .option('-U, --undefine <name>', 'remove a preprocessor definition (with --cpp)', collect, [])
    .action(
      (input: string, opts: DtcFlags & { inFormat: string; outFormat: string; autoAlias?: boolean }) => {
        const flags: DtcFlags = { ...opts, inForm: opts.inFormat, outForm: opts.outFormat };
        if (opts.autoAlias) flags.autoAliases = true;
        if (!['dts', 'dtb'].includes(flags.inForm))
          throw new ExitCodeError(2, `mdio-emu dtc: unknown input format "${flags.inForm}"`);
        if (!['dts', 'dtb'].includes(flags.outForm))
          throw new ExitCodeError(2, `mdio-emu dtc: unknown output format "${flags.outForm}"`);

        let tree: DeviceTree;
        let dtb: Uint8Array | undefined;
        if (flags.inForm === 'dtb') {
          tree = readDtb(readInput(input), { fileName: input });
          const bootCpu = parseInteger(flags.bootCpu, '-b');
          if (bootCpu !== undefined) tree.bootCpuidPhys = bootCpu;
        } else {
          const result = compileFile(input, flags);
          if (!result.tree || (!result.ok && !flags.force))
            throw new ExitCodeError(
              flags.force ? 1 : 2,
              'mdio-emu dtc: input tree has errors, no output written',
            );
          tree = result.tree;
          dtb = result.dtb;
        }
        if (flags.outForm === 'dts') output(flags.out, printDts(tree));
        else output(flags.out, dtb ?? writeDtb(tree));
      },
    );
}
