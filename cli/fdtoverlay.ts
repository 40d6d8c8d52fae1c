import { readFileSync, writeFileSync } from 'node:fs';
import { isRefusal } from '../src/dts/host.js';
import { readSourceFile } from '../src/io/index.js';
import type { Command } from 'commander';
import { DtsError } from '../src/dts/diagnostics.js';
import { applyOverlayBlobs, OverlayErrorCode } from '../src/dts/overlay.js';
import { readDtb } from '../src/dts/dtb-read.js';
import { findNodeByPath } from '../src/dts/tree.js';
import { DEFAULT_COMPAT, type DtcCompat } from '../src/dts/compat.js';
import { compatOf, dtcVersion } from './dtc.js';
import { formatUsage, getoptLong, type LongOption } from './getopt.js';
import { ExitCodeError } from './run.js';

/**
 * `mdio-emu fdtoverlay -i base.dtb -o out.dtb overlay.dtbo...`: a drop-in for dtc's fdtoverlay (fdtoverlay.c),
 * as kbuild runs it for composite DTBs (scripts/Makefile.dtbs cmd_fdtoverlay): the overlays are applied in
 * order and the packed result is byte-identical to fdtoverlay's. Its options, messages and exit status 1.
 */

const LONG_OPTIONS: readonly (LongOption & { help: string })[] = [
  { name: 'input', hasArg: true, short: 'i', help: 'Input base DT blob' },
  { name: 'output', hasArg: true, short: 'o', help: 'Output DT blob' },
  { name: 'verbose', hasArg: false, short: 'v', help: 'Verbose messages' },
  { name: 'help', hasArg: false, short: 'h', help: 'Print this help and exit' },
  { name: 'version', hasArg: false, short: 'V', help: 'Print version and exit' },
  // mdio-emu's: the libfdt generation to reproduce (long only, so it has no short form).
  { name: 'compat', hasArg: true, short: '\u0101', help: 'dtc generation to reproduce: 1.6, 1.7 or 1.8' },
];
const SHORT_OPTIONS = 'i:o:vhV';
const LISTED = LONG_OPTIONS.filter((o) => o.name !== 'compat');

/** fdtoverlay.c usage; 1.6's synopsis still carried fdtget's USAGE_TYPE_MSG, dropped in 1.7. */
export function fdtoverlayUsage(compat: DtcCompat = DEFAULT_COMPAT): string {
  const typeMessage =
    '\n\n<type>\ts=string, i=int, u=unsigned, x=hex\n\tOptional modifier prefix:\n\t\thh or b=byte, h=2 byte, l=4 byte (default)';
  return formatUsage(
    `apply a number of overlays to a base blob\n\tfdtoverlay <options> [<overlay.dtbo> [<overlay.dtbo>]]${compat === '1.6' ? typeMessage : ''}`,
    SHORT_OPTIONS,
    // --compat stays out of the usage, so `-h` and usage errors print exactly what fdtoverlay prints.
    LISTED,
    LISTED.map((o) => o.help),
  );
}

const usageError = (compat: DtcCompat, message: string): never => {
  throw new ExitCodeError(1, `${fdtoverlayUsage(compat)}\nError: ${message}`);
};

/** Whether an fdtoverlay command line reads a blob from stdin (`-i -` or a `-` overlay): the tool server cannot. */
export function fdtoverlayReadsStdin(args: readonly string[]): boolean {
  const parsed = getoptLong(args, SHORT_OPTIONS, LONG_OPTIONS);
  if (!parsed.ok) return false;
  return parsed.options.some((o) => o.opt === 'i' && o.arg === '-') || parsed.operands.includes('-');
}

/** utilfdt_read: the whole file, or stdin for `-`. */
function readBlob(path: string): Uint8Array {
  if (path !== '-') {
    // A device or a directory is refused before it is read: fdtoverlay would read /dev/zero forever.
    const r = readSourceFile(path);
    const why = r === undefined ? 'No such file or directory' : isRefusal(r) ? r.refused : undefined;
    if (why === undefined && r instanceof Uint8Array) return r;
    throw new ExitCodeError(1, `Couldn't open blob from '${path}': ${why ?? ''}\n\nFailed to read '${path}'`);
  }
  try {
    return readFileSync(0);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    throw new ExitCodeError(1, `Couldn't open blob from '${path}': ${reason}\n\nFailed to read '${path}'`);
  }
}

const ERROR_NAMES = new Map<string, string>(
  Object.entries(OverlayErrorCode).map(([name, code]) => [code, name]),
);

/** fdtoverlay's main(): returns the exit status; misuse and failures arrive as ExitCodeError (status 1). */
export function runFdtoverlay(args: readonly string[]): number {
  const parsed = getoptLong(args, SHORT_OPTIONS, LONG_OPTIONS);
  let input: string | undefined;
  let output: string | undefined;
  let verbose = false;
  const compatArg = parsed.options.filter((o) => o.opt === '\u0101').pop()?.arg;
  const compat = compatOf(compatArg === undefined ? {} : { compat: compatArg });
  for (const { opt, arg = '' } of parsed.options) {
    if (opt === 'h') {
      process.stdout.write(fdtoverlayUsage(compat));
      return 0;
    }
    if (opt === 'V') {
      process.stdout.write(`Version: DTC ${dtcVersion(compat)}\n`);
      return 0;
    }
    if (opt === 'i') input = arg;
    else if (opt === 'o') output = arg;
    else if (opt === 'v') verbose = true;
  }
  if (!parsed.ok) {
    process.stderr.write(`fdtoverlay: ${parsed.message}\n`);
    usageError(compat, 'unknown option');
  }
  if (input === undefined) return usageError(compat, 'missing input file');
  if (output === undefined) return usageError(compat, 'missing output file');
  const overlays = parsed.ok ? parsed.operands : [];
  if (overlays.length === 0) return usageError(compat, 'missing overlay file(s)');
  if (verbose) {
    process.stdout.write(`input  = ${input}\noutput = ${output}\n`);
    overlays.forEach((o, i) => process.stdout.write(`overlay[${i}] = ${o}\n`));
  }

  const base = readBlob(input);
  const blobs = overlays.map(readBlob);
  let result: Uint8Array;
  try {
    result = applyOverlayBlobs(base, blobs, { compat });
  } catch (e) {
    if (!(e instanceof DtsError)) throw e;
    // fdtoverlay names the overlay that failed and libfdt's error; our codes map back to those names. The
    // failing overlay is the first whose prefix of the chain fails (only searched on this error path).
    let failed = overlays.length - 1;
    for (let k = 1; k < overlays.length; k++) {
      try {
        applyOverlayBlobs(base, blobs.slice(0, k), { compat });
      } catch {
        failed = k - 1;
        break;
      }
    }
    const name = ERROR_NAMES.get(e.diagnostics[0]?.code ?? '') ?? e.message;
    // fdtoverlay 1.7.0 on adds a hint when the base was compiled without -@.
    let hint = '';
    if (compat !== '1.6') {
      let hasSymbols = true;
      try {
        hasSymbols = findNodeByPath(readDtb(base).root, '/__symbols__') !== undefined;
      } catch {
        // An unreadable base failed for that reason; no hint.
      }
      if (!hasSymbols)
        hint =
          "\nbase blob does not have a '/__symbols__' node, make sure you have compiled the base blob with '-@' option";
    }
    throw new ExitCodeError(1, `\nFailed to apply '${overlays[failed] ?? ''}': ${name}${hint}`);
  }
  try {
    if (output === '-') process.stdout.write(result);
    else writeFileSync(output, result);
  } catch {
    throw new ExitCodeError(1, `\nFailed to write '${output}'`);
  }
  return 0;
}

export function register(program: Command): void {
  program
    .command('fdtoverlay')
    .description(
      'apply overlays to a base DTB, a drop-in for fdtoverlay (mdio-emu fdtoverlay -h lists its options)',
    )
    .usage('-i <base.dtb> -o <out.dtb> <overlay.dtbo>...')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'fdtoverlay options and the overlays')
    .action((args: string[]) => {
      process.exitCode = runFdtoverlay(args);
    });
}
