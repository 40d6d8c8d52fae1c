/**
 * glibc's getopt_long as dtc's tools call it (util.h util_getopt_long: `getopt_long(argc, argv,
 * usage_short_opts, usage_long_opts, NULL)`), so `mdio-emu dtc` and `mdio-emu fdtoverlay` accept exactly
 * the command lines dtc and fdtoverlay accept: clustered short options (`-qq`, `-@q`), attached arguments
 * (`-Wno-unit_address_vs_reg`, `-idir`), `--long=value` and `--long value`, unambiguous prefixes of long
 * options (`--out-f dts`), `--` to end options, and operands anywhere (glibc permutes them to the end).
 */

export interface LongOption {
  name: string;
  hasArg: boolean;
  /** The short option character it stands for; a character above '~' marks a long-only option. */
  short: string;
}

export interface ParsedOption {
  /** The short option character (for long options, the one they stand for). */
  opt: string;
  arg: string | undefined;
}

export type GetoptResult =
  | { ok: true; options: ParsedOption[]; operands: string[] }
  /** glibc's diagnostic, without the program name prefix (`invalid option -- 'x'`). */
  | { ok: false; message: string; options: ParsedOption[] };

/** `shortOpts` is getopt's optstring: a character per option, `:` after those that take an argument. */
export function getoptLong(
  args: readonly string[],
  shortOpts: string,
  longOpts: readonly LongOption[],
): GetoptResult {
  const options: ParsedOption[] = [];
  const operands: string[] = [];
  const takesArg = (c: string): boolean | undefined => {
    const i = shortOpts.indexOf(c);
    if (i < 0 || c === ':') return undefined;
    return shortOpts[i + 1] === ':';
  };
  const fail = (message: string): GetoptResult => ({ ok: false, message, options });

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const exact = longOpts.find((o) => o.name === name);
      const candidates = exact ? [exact] : longOpts.filter((o) => o.name.startsWith(name));
      // glibc accepts an ambiguous prefix when every candidate is the same option.
      const distinct = new Set(candidates.map((o) => `${o.short}/${String(o.hasArg)}`));
      if (candidates.length === 0) return fail(`unrecognized option '${arg}'`);
      if (distinct.size > 1)
        return fail(
          `option '${arg}' is ambiguous; possibilities:${candidates.map((o) => ` '--${o.name}'`).join('')}`,
        );
      const opt = candidates[0] as LongOption;
      if (!opt.hasArg) {
        if (eq >= 0) return fail(`option '--${opt.name}' doesn't allow an argument`);
        options.push({ opt: opt.short, arg: undefined });
      } else if (eq >= 0) options.push({ opt: opt.short, arg: arg.slice(eq + 1) });
      else if (i + 1 < args.length) options.push({ opt: opt.short, arg: args[++i] });
      else return fail(`option '--${opt.name}' requires an argument`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j] as string;
        const needs = takesArg(c);
        if (needs === undefined) return fail(`invalid option -- '${c}'`);
        if (!needs) {
          options.push({ opt: c, arg: undefined });
          continue;
        }
        if (j + 1 < arg.length) options.push({ opt: c, arg: arg.slice(j + 1) });
        else if (i + 1 < args.length) options.push({ opt: c, arg: args[++i] });
        else return fail(`option requires an argument -- '${c}'`);
        break;
      }
      continue;
    }
    operands.push(arg);
  }
  return { ok: true, options, operands };
}

/**
 * util.c util_usage: the synopsis, the optstring, then each long option with its short one and its help,
 * `--name <arg>` padded to the longest. Printed to stdout for -h, to stderr with `Error: ...` on misuse.
 */
export function formatUsage(
  synopsis: string,
  shortOpts: string,
  longOpts: readonly LongOption[],
  help: readonly string[],
): string {
  let width = 0;
  for (const o of longOpts) width = Math.max(width, o.name.length + 1 + (o.hasArg ? '<arg>'.length + 1 : 0));
  let out = `Usage: ${synopsis}\n\nOptions: -[${shortOpts}]\n`;
  longOpts.forEach((o, i) => {
    // A long-only option (its key above '~', as in dtc's tables) gets blanks where the short one would be.
    out += o.short > '~' ? '      ' : `  -${o.short}, `;
    out += o.hasArg
      ? `--${o.name} <arg>${' '.repeat(Math.max(0, width - o.name.length - '<arg>'.length - 1))}`
      : `--${o.name.padEnd(width)}`;
    out += `${help[i] ?? ''}\n`;
  });
  return out;
}

/**
 * C's strtol/strtoull with base 0, as dtc reads numeric option arguments: leading blanks, an optional sign,
 * `0x` for hex and a leading `0` for octal, then as many digits as parse; anything after them is ignored
 * and no digits at all give 0. The result saturates at the 64-bit range (strtoll's LLONG_MIN/LLONG_MAX).
 */
export function strtol(text: string): bigint {
  let s = text.replace(/^[ \t\n\v\f\r]+/, '');
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  let base = 10;
  if (/^0[xX][0-9a-fA-F]/.test(s)) {
    base = 16;
    s = s.slice(2);
  } else if (s.startsWith('0')) base = 8;
  const digits = (base === 16 ? /^[0-9a-fA-F]*/ : base === 8 ? /^[0-7]*/ : /^[0-9]*/).exec(s)?.[0] ?? '';
  let value = 0n;
  for (const d of digits) value = value * BigInt(base) + BigInt(parseInt(d, 16));
  const max = (1n << 63n) - 1n;
  if (value > max) value = negative ? max + 1n : max;
  return negative ? -value : value;
}

/** C's conversion of a 64-bit value to `int` (two's complement truncation), as `int x = strtol(...)` does. */
export function toCInt(value: bigint): number {
  return Number(BigInt.asIntN(32, value));
}
