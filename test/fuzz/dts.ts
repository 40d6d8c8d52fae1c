import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDts } from '../../src/dts/compile.js';
import { preprocess } from '../../src/dts/preprocess.js';
import { check, type FuzzTarget } from './target.js';

/**
 * The DTS front end: the C preprocessor, then the scanner, parser, checks and DTB writer, as `dtc --cpp` runs
 * them. Any text must end in output or diagnostics: no throw at all (every failure is a Diagnostic), and the
 * preprocessor's limits hold (its output stays under the cap it is given).
 */
const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '../dts/preprocess-fixtures');

function collect(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) Object.assign(out, collect(join(dir, entry.name), `${rel}/`));
    else out[rel] = readFileSync(join(dir, entry.name), 'latin1');
  }
  return out;
}

const FILES = collect(fixtures);
const LIMITS = { expansionTokens: 100_000, outputChars: 1_000_000 };

function compile(text: string): void {
  const files: Record<string, string> = { ...FILES, 'fuzz.dts': text };
  const pp = preprocess(
    'fuzz.dts',
    { readFile: (p) => files[p] },
    { includeDirs: ['include'], limits: LIMITS },
  );
  if (pp.text.length > LIMITS.outputChars * 2) throw new Error(`preprocessor output ${pp.text.length} chars`);
  const r = compileDts(pp.text, { fileName: 'fuzz.dts', origins: pp.origins });
  if (r.ok && !r.dtb && !r.checksFailed) throw new Error('compiled without errors but wrote no blob');
  if (!r.ok && !r.diagnostics.some((d) => d.severity === 'error')) throw new Error('failed without an error');
}

const TOKENS = [
  '/dts-v1/;\n',
  '/plugin/;\n',
  '/ {',
  '};\n',
  'n {',
  'n@1 {',
  'l:',
  '&l {',
  'p = <1 2>;',
  'p = "s";',
  'p = [00 01];',
  'p = /incbin/("main.dts");',
  'p = <&l>;',
  'p = <(1 << 3)>;',
  '/delete-node/ n;',
  '/delete-property/ p;',
  '/memreserve/ 0 1;',
  '/bits/ 8 <1>;',
  '#include "main.dts"\n',
  '#define M(x) <x>\n',
  'M(1)',
  '#if 1\n',
  '#endif\n',
  '"\\',
  "'a'",
  '/*',
  '*/',
  '//',
  '\n',
  ' ',
  '{',
  '}',
  ';',
  '<',
  '>',
  '(',
  ')',
  '&',
  ',',
  '"',
];

export const dtsFrontEnd: FuzzTarget = {
  name: 'dts-front-end',
  properties: () => ({
    'any sequence of DTS and cpp tokens ends in output or diagnostics': check(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }), (tokens) => {
        compile(tokens.join(''));
      }),
    ),
    'any text after the header ends in output or diagnostics': check(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        compile(`/dts-v1/;\n${text}`);
      }),
    ),
  }),
  bytes: {
    seeds: () => Object.values(FILES).map((t) => Buffer.from(t, 'latin1')),
    run: (input) => {
      compile(Buffer.from(input).toString('latin1'));
    },
    cover: ['/src/dts/'],
  },
};
