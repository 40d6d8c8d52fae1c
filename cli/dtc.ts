import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CheckOptions } from '../src/dts/check-options.js';
import { checksFor, type CheckLevel } from '../src/dts/checks.js';
import { DEFAULT_COMPAT, DTC_RELEASE, parseCompat, type DtcCompat } from '../src/dts/compat.js';
import { compileDtb, compileDts, type CompileResult } from '../src/dts/compile.js';
import { formatDiagnostic, type Diagnostic } from '../src/dts/diagnostics.js';
import { writeDtbAsm } from '../src/dts/dtb-asm.js';
import { DTB_VERSIONS, writeDtb } from '../src/dts/dtb-write.js';
import { preprocess } from '../src/dts/preprocess.js';
import { printDts } from '../src/dts/print.js';
import type { PhandleFormat } from '../src/dts/phandles.js';
import { printYaml, YamlOutputError } from '../src/dts/yaml.js';
import { SourceFile } from '../src/diagnostics/source.js';
import { isRefusal, type HostRead } from '../src/dts/host.js';
import { readSourceFile } from '../src/io/index.js';
import type { DeviceTree } from '../src/dts/tree.js';
import { formatUsage, getoptLong, strtol, toCInt, type LongOption } from './getopt.js';
import { ExitCodeError } from './run.js';

/**
 * `mdio-emu dtc`: a drop-in for dtc (dtc.c main) that build systems can call as $(DTC): the same options,
 * parsed the way getopt_long parses them, the same input and output format guessing, the same dependency
 * file, output file and exit codes (1 for a fatal error, 2 when checks fail without -f). Additions: `--cpp`
 * runs the built-in C preprocessor first (as kbuild runs cpp before dtc), with `-D` and `-U`.
 */

/**
 * `--compat 1.6|1.7|1.8` (a full release such as 1.7.2 names its generation): the dtc generation whose
 * syntax, checks, output and command line to reproduce; the newest by default.
 */
export function compatOf(flags: { compat?: string }): DtcCompat {
  if (flags.compat === undefined) return DEFAULT_COMPAT;
  const compat = parseCompat(flags.compat);
  if (!compat)
    throw new ExitCodeError(1, `FATAL ERROR: unknown --compat "${flags.compat}" (1.6, 1.7 or 1.8)`);
  return compat;
}

/** The release a generation answers `dtc -v` with (U-Boot's dtc-version.sh and Zephyr's FindDtc parse it). */
export const dtcVersion = (compat: DtcCompat): string => DTC_RELEASE[compat];

export interface DtcFlags {
  inForm: string;
  outForm: string;
  out?: string;
  include: string[];
  bootCpu?: string;
  symbols?: boolean;
  quiet: number;
  /** -W and -E arguments; `checks` (when given) keeps their order across the two, which dtc honours. */
  warning: string[];
  error: string[];
  checks?: { flag: 'W' | 'E'; arg: string }[];
  force?: boolean;
  sort?: boolean;
  autoAliases?: boolean;
  localFixups?: boolean;
  phandle?: string;
  reserve?: string;
  space?: string;
  pad?: string;
  align?: string;
  cpp?: boolean;
  define: string[];
  undefine: string[];
  /** --compat: the dtc generation to reproduce. */
  compat?: string;
  /** -T: keep every definition's place for the annotated -O dts. */
  annotate?: boolean;
}

/** die(): dtc's fatal errors print `FATAL ERROR: ...` and exit 1. */
function fatal(message: string): never {
  throw new ExitCodeError(1, `FATAL ERROR: ${message}`);
}

/** /include/, /incbin/ and #include files: regular files of bounded size only (/dev/zero would never end). */
const readHostFile = (path: string): HostRead<Uint8Array> => readSourceFile(path);

function readInput(path: string): Uint8Array {
  if (path !== '-') {
    const r = readSourceFile(path);
    if (r === undefined) fatal(`Couldn't open "${path}": No such file or directory`);
    if (isRefusal(r)) fatal(`Couldn't open "${path}": ${r.refused}`);
    return r;
  }
  try {
    return readFileSync(0);
  } catch (e) {
    fatal(`Couldn't open "${path}": ${errnoText(e)}`);
  }
}

/** strerror text of a Node fs error, as dtc's messages carry it. */
function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory',
  };
  return (code && known[code]) ?? (e as Error).message;
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

/** dtc's -W/-E options in their order, against the generation's check table; an unknown name is fatal. */
export function checkLevelsOf(flags: DtcFlags, compat: DtcCompat): Map<string, CheckLevel> {
  const options = new CheckOptions(checksFor(compat));
  const order = flags.checks ?? [
    ...flags.warning.map((arg) => ({ flag: 'W' as const, arg })),
    ...flags.error.map((arg) => ({ flag: 'E' as const, arg })),
  ];
  for (const { flag, arg } of order) {
    const unknown = options.apply(flag, arg);
    if (unknown !== undefined) fatal(`Unrecognized check name "${unknown}"`);
  }
  return options.levels();
}

/** Compiles a DTS file (optionally through the preprocessor) with dtc's options; prints diagnostics. */
export function compileFile(input: string, flags: DtcFlags): CompileResult {
  const compat = compatOf(flags);
  const levels = checkLevelsOf(flags, compat);
  const phandle = flags.phandle ?? 'epapr';
  if (!['legacy', 'epapr', 'both'].includes(phandle)) fatal(`Invalid argument "${phandle}" to -H option`);

  let source: string | Uint8Array;
  let origins;
  const extraFiles = new Map<string, SourceFile>();
  const ppDiagnostics: Diagnostic[] = [];
  const ppDependencies: string[] = [];
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
          return b instanceof Uint8Array ? Buffer.from(b).toString('latin1') : b;
        },
      },
      { includeDirs: flags.include, defines },
    );
    for (const [name, text] of pp.files) {
      extraFiles.set(name, new SourceFile(name, text));
      if (name !== input) ppDependencies.push(name);
    }
    ppDiagnostics.push(...pp.diagnostics);
    // cpp exits 1 on an error and kbuild's pipeline stops there: no tree from a failed preprocessing.
    if (pp.diagnostics.some((d) => d.severity === 'error')) {
      printDiagnostics(pp.diagnostics, extraFiles, flags.quiet);
      throw new ExitCodeError(1, '');
    }
    source = pp.text;
    origins = pp.origins;
  } else source = readInput(input);

  const num = (v: string | undefined): number | undefined =>
    v === undefined ? undefined : toCInt(strtol(v));
  const bootCpu = flags.bootCpu === undefined ? undefined : Number(BigInt.asUintN(32, strtol(flags.bootCpu)));
  const reserveSlots = num(flags.reserve);
  const minSize = num(flags.space);
  const padSize = num(flags.pad);
  const alignSize = num(flags.align);
  const result = compileDts(source, {
    fileName: input === '-' ? '<stdin>' : input,
    host: { readFile: readHostFile },
    includeDirs: flags.include,
    ...(origins ? { origins } : {}),
    symbols: flags.symbols ?? false,
    autoAliases: flags.autoAliases ?? false,
    localFixups: flags.localFixups ?? false,
    ...(bootCpu !== undefined ? { bootCpu } : {}),
    phandleFormat: phandle as PhandleFormat,
    force: flags.force ?? false,
    sort: flags.sort ?? false,
    checkLevels: levels,
    compat,
    ...(flags.annotate ? { annotate: true } : {}),
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
  result.dependencies.unshift(...ppDependencies);
  printDiagnostics(result.diagnostics, result.files, flags.quiet);
  return result;
}

// ---- the command line ----

/** Keys of mdio-emu's long-only options (above '~', so getopt has no short form and usage shows none). */
const CPP = '\u0100';
const COMPAT = '\u0101';

const LONG_OPTIONS: readonly (LongOption & { help: string })[] = [
  { name: 'quiet', hasArg: false, short: 'q', help: '\n\tQuiet: -q suppress warnings, -qq errors, -qqq all' },
  {
    name: 'in-format',
    hasArg: true,
    short: 'I',
    help: '\n\tInput formats are:\n\t\tdts - device tree source text\n\t\tdtb - device tree blob\n\t\tfs  - /proc/device-tree style directory',
  },
  { name: 'out', hasArg: true, short: 'o', help: '\n\tOutput file' },
  {
    name: 'out-format',
    hasArg: true,
    short: 'O',
    help: '\n\tOutput formats are:\n\t\tdts - device tree source text\n\t\tdtb - device tree blob\n\t\tyaml - device tree encoded as YAML\n\t\tasm - assembler source',
  },
  {
    name: 'out-version',
    hasArg: true,
    short: 'V',
    help: '\n\tBlob version to produce, defaults to 17 (for dtb and asm output)',
  },
  { name: 'out-dependency', hasArg: true, short: 'd', help: '\n\tOutput dependency file' },
  {
    name: 'reserve',
    hasArg: true,
    short: 'R',
    help: '\n\tMake space for <number> reserve map entries (for dtb and asm output)',
  },
  { name: 'space', hasArg: true, short: 'S', help: '\n\tMake the blob at least <bytes> long (extra space)' },
  {
    name: 'pad',
    hasArg: true,
    short: 'p',
    help: '\n\tAdd padding to the blob of <bytes> long (extra space)',
  },
  { name: 'align', hasArg: true, short: 'a', help: '\n\tMake the blob align to the <bytes> (extra space)' },
  { name: 'boot-cpu', hasArg: true, short: 'b', help: '\n\tSet the physical boot cpu' },
  {
    name: 'force',
    hasArg: false,
    short: 'f',
    help: '\n\tTry to produce output even if the input tree has errors',
  },
  { name: 'include', hasArg: true, short: 'i', help: '\n\tAdd a path to search for include files' },
  {
    name: 'sort',
    hasArg: false,
    short: 's',
    help: '\n\tSort nodes and properties before outputting (useful for comparing trees)',
  },
  {
    name: 'phandle',
    hasArg: true,
    short: 'H',
    help: '\n\tValid phandle formats are:\n\t\tlegacy - "linux,phandle" properties only\n\t\tepapr  - "phandle" properties only\n\t\tboth   - Both "linux,phandle" and "phandle" properties',
  },
  { name: 'warning', hasArg: true, short: 'W', help: '\n\tEnable/disable warnings (prefix with "no-")' },
  { name: 'error', hasArg: true, short: 'E', help: '\n\tEnable/disable errors (prefix with "no-")' },
  { name: 'symbols', hasArg: false, short: '@', help: '\n\tEnable generation of symbols' },
  // dtc 1.7.0 added -L: with --compat 1.6 it is an unknown option, as for dtc 1.6.1.
  {
    name: 'local-fixups',
    hasArg: false,
    short: 'L',
    help: '\n\tPossibly generates a __local_fixups__ and a __fixups__ node at the root node',
  },
  { name: 'auto-alias', hasArg: false, short: 'A', help: '\n\tEnable auto-alias of labels' },
  {
    name: 'annotate',
    hasArg: false,
    short: 'T',
    help: '\n\tAnnotate output .dts with input source file and line (-T -T for more details)',
  },
  { name: 'help', hasArg: false, short: 'h', help: '\n\tPrint this help and exit' },
  { name: 'version', hasArg: false, short: 'v', help: '\n\tPrint version and exit' },
  // mdio-emu's additions (no dtc option uses -D or -U).
  {
    name: 'cpp',
    hasArg: false,
    short: CPP,
    help: '\n\tRun the built-in C preprocessor first (cpp -x assembler-with-cpp -D__DTS__)',
  },
  {
    name: 'define',
    hasArg: true,
    short: 'D',
    help: '\n\tPreprocessor definition <name>[=<value>] (with --cpp)',
  },
  { name: 'undefine', hasArg: true, short: 'U', help: '\n\tRemove a preprocessor definition (with --cpp)' },
  {
    name: 'compat',
    hasArg: true,
    short: COMPAT,
    help: `\n\tdtc generation to reproduce: 1.6, 1.7 or 1.8 (default ${DEFAULT_COMPAT})`,
  },
];

/** The generation's option table: dtc.c usage_short_opts and usage_long_opts, and mdio-emu's additions. */
function optionsFor(compat: DtcCompat): { short: string; long: (LongOption & { help: string })[] } {
  const long = LONG_OPTIONS.filter((o) => compat !== '1.6' || o.short !== 'L');
  const short = `${compat === '1.6' ? 'qI:O:o:V:d:R:S:p:a:fb:i:H:sW:E:@AThv' : 'qI:O:o:V:d:R:S:p:a:fb:i:H:sW:E:@LAThv'}D:U:`;
  return { short, long };
}

export function dtcUsage(compat: DtcCompat = DEFAULT_COMPAT): string {
  const { short, long } = optionsFor(compat);
  return formatUsage(
    'dtc [options] <input file>',
    short,
    long,
    long.map((o) => o.help),
  );
}

/** Whether a dtc command line reads its input from stdin (no operand, or `-`): the tool server cannot. */
export function dtcReadsStdin(args: readonly string[]): boolean {
  const parsed = getoptLong(args, optionsFor(DEFAULT_COMPAT).short, LONG_OPTIONS);
  return !parsed.ok || (parsed.operands[0] ?? '-') === '-';
}

function usageError(compat: DtcCompat, message: string): never {
  throw new ExitCodeError(1, `${dtcUsage(compat)}\nError: ${message}`);
}

/**
 * The `FATAL ERROR:` line dtc ends a failed parse with (treesource.c dt_from_source, srcpos.c, the lexer): a
 * grammar error makes yyparse fail ("Unable to parse input tree"), an unreadable or too deeply nested include
 * and a bad \\x escape die on the spot, and the errors the parser reports and carries on from end in
 * "Syntax error parsing input tree".
 */
function parseFailure(diagnostics: readonly Diagnostic[]): string {
  for (const d of diagnostics) {
    if (d.code === 'DTS1001' || d.code === 'DTS1022') return 'Unable to parse input tree';
    // The scanner's message may already carry the reason (strerror) dtc adds.
    if (d.code === 'DTS1011')
      return d.message.endsWith('"') ? `${d.message}: No such file or directory` : d.message;
    if (d.code === 'DTS1012' || d.code === 'DTS1005') return d.message;
    if (d.code === 'DTS1020') return d.message.replace(/ \(length .*\)$/, '');
  }
  return 'Syntax error parsing input tree';
}

/** dtc.c guess_type_by_name. */
function guessTypeByName(name: string, fallback: string | undefined): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return fallback;
  const ext = name.slice(dot).toLowerCase();
  if (ext === '.dts') return 'dts';
  if (ext === '.yaml') return 'yaml';
  if (ext === '.dtbo' || ext === '.dtb') return 'dtb';
  return fallback;
}

/** dtc.c guess_input_format: a directory is `fs`, a file starting with the FDT magic is `dtb`, else by name. */
function guessInputFormat(name: string, fallback: string): string {
  let stat;
  try {
    stat = statSync(name);
  } catch {
    return fallback;
  }
  if (stat.isDirectory()) return 'fs';
  if (!stat.isFile()) return fallback;
  const magic = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = openSync(name, 'r');
    if (readSync(fd, magic, 0, 4, 0) !== 4) return fallback;
  } catch {
    return fallback;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (magic.readUInt32BE(0) === 0xd00dfeed) return 'dtb';
  return guessTypeByName(name, fallback) ?? fallback;
}

/** util.c fprint_path_escaped (dtc 1.7.0 on): spaces get a backslash, as make reads them; 1.6 wrote paths as they are. */
const escapePath = (p: string, compat: DtcCompat): string => (compat === '1.6' ? p : p.replace(/ /g, '\\ '));

/**
 * dtc opens (and truncates) the output file before formatting the output, so a failure while formatting
 * (an unknown -V or -O) leaves an empty file behind; this does the same.
 */
function openOutput(path: string): (data: Uint8Array | string) => void {
  if (path === '-') return (data) => process.stdout.write(data);
  try {
    writeFileSync(path, '');
  } catch (e) {
    fatal(`Couldn't open output file ${path}: ${errnoText(e)}`);
  }
  return (data) => {
    writeFileSync(path, data);
  };
}

/**
 * dtc's main(): runs one dtc command line and returns its exit status; fatal errors and usage errors
 * arrive as ExitCodeError (status 1) with dtc's message, check failures without -f with status 2.
 */
export function runDtc(args: readonly string[]): number {
  // The generation decides the option table itself (-L), so --compat is looked for first.
  const all = getoptLong(args, optionsFor(DEFAULT_COMPAT).short, LONG_OPTIONS);
  const compatArg = all.options.filter((o) => o.opt === COMPAT).pop()?.arg;
  const compat = compatOf(compatArg === undefined ? {} : { compat: compatArg });
  const table = optionsFor(compat);
  const parsed = getoptLong(args, table.short, table.long);
  const flags: DtcFlags = {
    inForm: '',
    outForm: '',
    include: [],
    quiet: 0,
    warning: [],
    error: [],
    checks: [],
    define: [],
    undefine: [],
  };
  let outName = '-';
  let depName: string | undefined;
  let outVersion = 17;
  let annotate = 0;
  for (const { opt, arg = '' } of parsed.options) {
    switch (opt) {
      case 'I':
        flags.inForm = arg;
        break;
      case 'O':
        flags.outForm = arg;
        break;
      case 'o':
        outName = arg;
        break;
      case 'V':
        outVersion = toCInt(strtol(arg));
        break;
      case 'd':
        depName = arg;
        break;
      case 'R':
        flags.reserve = arg;
        break;
      case 'S':
        flags.space = arg;
        break;
      case 'p':
        flags.pad = arg;
        break;
      case 'a': {
        const align = toCInt(strtol(arg));
        if (align <= 0 || (align & (align - 1)) !== 0) fatal(`Invalid argument "${align}" to -a option`);
        flags.align = arg;
        break;
      }
      case 'f':
        flags.force = true;
        break;
      case 'q':
        flags.quiet++;
        break;
      case 'b':
        flags.bootCpu = arg;
        break;
      case 'i':
        flags.include.push(arg);
        break;
      case 'v':
        process.stdout.write(`Version: DTC ${dtcVersion(compat)}\n`);
        return 0;
      case 'H':
        if (!['legacy', 'epapr', 'both'].includes(arg)) fatal(`Invalid argument "${arg}" to -H option`);
        flags.phandle = arg;
        break;
      case 's':
        flags.sort = true;
        break;
      case 'W':
      case 'E':
        flags.checks?.push({ flag: opt, arg });
        break;
      case '@':
        flags.symbols = true;
        break;
      case 'L':
        flags.localFixups = true;
        break;
      case 'A':
        flags.autoAliases = true;
        break;
      case 'T':
        annotate++;
        break;
      case 'h':
        process.stdout.write(dtcUsage(compat));
        return 0;
      case CPP:
        flags.cpp = true;
        break;
      case COMPAT:
        flags.compat = arg;
        break;
      case 'D':
        flags.define.push(arg);
        break;
      case 'U':
        flags.undefine.push(arg);
        break;
    }
  }
  if (!parsed.ok) {
    process.stderr.write(`dtc: ${parsed.message}\n`);
    usageError(compat, 'unknown option');
  }
  // -W/-E take effect as they are parsed in dtc: an unknown check name is fatal before anything is read.
  const levels = checkLevelsOf(flags, compat);
  if (parsed.operands.length > 1) usageError(compat, 'missing files');
  const input = parsed.operands[0] ?? '-';
  const minSize = toCInt(strtol(flags.space ?? '0'));
  const padSize = toCInt(strtol(flags.pad ?? '0'));
  if (minSize && padSize) fatal("Can't set both -p and -S");

  const dependencies: string[] = [];
  const writeDepfile = (complete: boolean): void => {
    if (depName === undefined) return;
    const escape = (p: string): string => escapePath(p, compat);
    const text = `${escape(outName)}:${dependencies.map((d) => ` ${escape(d)}`).join('')}${complete ? '\n' : ''}`;
    try {
      writeFileSync(depName, text);
    } catch (e) {
      fatal(`Couldn't open dependency file ${depName}: ${errnoText(e)}`);
    }
  };
  // dtc opens the dependency file before reading any input, so a bad path fails first.
  writeDepfile(false);

  const inForm = flags.inForm || guessInputFormat(input, 'dts');
  const outForm =
    flags.outForm || (guessTypeByName(outName, undefined) ?? (inForm === 'dts' ? 'dtb' : 'dts'));
  if (annotate && (inForm !== 'dts' || outForm !== 'dts')) fatal('--annotate requires -I dts -O dts');

  let tree: DeviceTree;
  // The compiler writes a version 17 blob with the layout options itself; other outputs are written below.
  let compiledDtb: Uint8Array | undefined;
  const blobHere = outForm === 'dtb' && outVersion === 17;
  let quietForced = false;
  let annotation: { level: number; initialPath: string } | undefined;
  if (inForm === 'dts') {
    const compileFlags: DtcFlags = { ...flags, inForm, outForm, ...(annotate ? { annotate: true } : {}) };
    if (!blobHere) {
      delete compileFlags.reserve;
      delete compileFlags.space;
      delete compileFlags.pad;
      delete compileFlags.align;
    }
    const result = compileFile(input, compileFlags);
    dependencies.push(input === '-' ? '<stdin>' : input, ...result.dependencies);
    if (!result.tree) {
      writeDepfile(false);
      if (result.checksFailed && !flags.force) {
        writeDepfile(true);
        throw new ExitCodeError(2, 'ERROR: Input tree has errors, aborting (use -f to force output)');
      }
      fatal(parseFailure(result.diagnostics));
    }
    quietForced = result.checksFailed;
    tree = result.tree;
    if (blobHere) compiledDtb = result.dtb;
    if (annotate) annotation = { level: annotate, initialPath: result.initialPath ?? input };
  } else if (inForm === 'dtb') {
    dependencies.push(input === '-' ? '<stdin>' : input);
    // As dtc: the blob goes through the same checks and generated trees as source (compileDtb).
    const phandle = flags.phandle ?? 'epapr';
    const result = compileDtb(readInput(input), {
      fileName: input,
      compat,
      checkLevels: levels,
      force: flags.force ?? false,
      sort: flags.sort ?? false,
      symbols: flags.symbols ?? false,
      autoAliases: flags.autoAliases ?? false,
      localFixups: flags.localFixups ?? false,
      phandleFormat: phandle as PhandleFormat,
      ...(flags.bootCpu !== undefined ? { bootCpu: Number(BigInt.asUintN(32, strtol(flags.bootCpu))) } : {}),
    });
    printDiagnostics(result.diagnostics, result.files, flags.quiet);
    if (!result.tree) {
      writeDepfile(true);
      if (result.checksFailed && !flags.force)
        throw new ExitCodeError(2, 'ERROR: Input tree has errors, aborting (use -f to force output)');
      throw new ExitCodeError(1, '');
    }
    quietForced = result.checksFailed;
    tree = result.tree;
  } else if (inForm === 'fs') {
    fatal('-I fs is not supported by mdio-emu dtc');
  } else fatal(`Unknown input format "${inForm}"`);
  writeDepfile(true);
  if (quietForced && flags.quiet < 3) process.stderr.write('Warning: Input tree has errors, output forced\n');

  const layout = {
    version: outVersion,
    reserveSlots: toCInt(strtol(flags.reserve ?? '0')),
    minSize,
    padSize,
    alignSize: toCInt(strtol(flags.align ?? '0')),
    warn: (m: string) => {
      if (flags.quiet < 1) process.stderr.write(`${m}\n`);
    },
  };
  const writeOutput = openOutput(outName);
  if (outForm === 'dts')
    writeOutput(printDts(tree, { compat, ...(annotation ? { annotate: annotation } : {}) }));
  else if (outForm === 'dtb') {
    if (!DTB_VERSIONS.includes(outVersion)) fatal(`Unknown device tree blob version ${outVersion}`);
    writeOutput(compiledDtb ?? writeDtb(tree, layout));
  } else if (outForm === 'asm') {
    if (!DTB_VERSIONS.includes(outVersion)) fatal(`Unknown device tree blob version ${outVersion}`);
    writeOutput(writeDtbAsm(tree, { ...layout, style: compat === '1.6' ? 'dtc-1.6' : 'dtc-1.7' }));
  } else if (outForm === 'yaml') {
    if (inForm !== 'dts') fatal('YAML output format requires dts input format');
    try {
      writeOutput(printYaml(tree));
    } catch (e) {
      if (!(e instanceof YamlOutputError)) throw e;
      fatal(e.message);
    }
  } else if (outForm !== 'null') fatal(`Unknown output format "${outForm}"`);
  return 0;
}

export function register(program: Command): void {
  program
    .command('dtc')
    .description(
      `device tree compiler, a drop-in for dtc ${Object.values(DTC_RELEASE).join(', ')} (mdio-emu dtc -h lists its options)`,
    )
    .usage('[options] <input file>')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'dtc options and the input file')
    .action((args: string[]) => {
      process.exitCode = runDtc(args);
    });
}
