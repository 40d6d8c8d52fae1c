import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileDts } from '../../src/dts/compile.js';
import { DtsError } from '../../src/dts/diagnostics.js';
import { preprocess, type PreprocessHost } from '../../src/dts/preprocess.js';

/**
 * Mutation fuzzing of the DTS pipeline: seeded, so every run sees the same 2000 mutants of the
 * preprocessor fixtures. Each must come back as output or diagnostics (a DtsError is allowed), within
 * a per-input time bound: no other exception, no hang.
 */
const here = dirname(fileURLToPath(import.meta.url));
const fixtureDir = join(here, 'preprocess-fixtures');

function collect(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + entry.name;
    if (entry.isDirectory()) Object.assign(out, collect(join(dir, entry.name), rel + '/'));
    else out[rel] = readFileSync(join(dir, entry.name), 'latin1');
  }
  return out;
}

/** mulberry32: a small seeded PRNG, so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fragments that stress the preprocessor: directives, macro syntax, comment and quote openers. */
const FRAGMENTS = [
  '#if ', '#ifdef X\n', '#endif\n', '#else\n', '#elif 1\n', '#define ', '#undef ', '#include "main.dts"\n',
  '#include <dt-bindings/test/gpio.h>\n', '(', ')', ',', '##', '#', '/*', '*/', '//', '"', "'", '\\\n', '\n',
  'PIN(', 'CAT(', 'STR(', 'VA(', '__VA_ARGS__', 'defined', '0x', '1/0', '((((((((', '<&', '>;', '{', '};',
  '#define R R R\n', '#define F(x) F(x) x x\n', '#line 0\n', '#error e\n',
];

function mutate(text: string, rand: () => number): string {
  let s = text;
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (s.length + 1));
    const choice = rand();
    if (choice < 0.3) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(rand() * 16));
    else if (choice < 0.7) s = s.slice(0, at) + (FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)] ?? '') + s.slice(at);
    else if (choice < 0.85) {
      const from = Math.floor(rand() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(rand() * 64)) + s.slice(at);
    } else s = s.slice(0, at) + String.fromCharCode(Math.floor(rand() * 256)) + s.slice(at);
  }
  return s;
}

const MUTANTS = 2000;
const PER_INPUT_MS = 1000;

test('mutated DTS inputs end in output or diagnostics, never a crash or a hang', (t) => {
  const files = collect(fixtureDir);
  const mains = Object.keys(files).filter((f) => /\.(dts|dtsi|h)$/.test(f));
  const rand = prng(0x5eed);
  const limits = { expansionTokens: 200_000, outputChars: 2_000_000 };
  let withDiagnostics = 0;
  let compiled = 0;
  const started = performance.now();
  for (let i = 0; i < MUTANTS; i++) {
    const target = mains[Math.floor(rand() * mains.length)] as string;
    const mutated = { ...files, [target]: mutate(files[target] ?? '', rand) };
    const host: PreprocessHost = { readFile: (p) => mutated[p] };
    const main = rand() < 0.5 ? target : 'main.dts';
    const t0 = performance.now();
    try {
      const pp = preprocess(main, host, { includeDirs: ['include'], limits });
      if (pp.diagnostics.length > 0) withDiagnostics++;
      t.is(typeof pp.text, 'string');
      const result = compileDts(pp.text, { fileName: main, origins: pp.origins });
      if (result.ok) compiled++;
    } catch (e) {
      if (!(e instanceof DtsError)) {
        t.fail(`mutant ${i} of ${target} threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return;
      }
    }
    const took = performance.now() - t0;
    if (took > PER_INPUT_MS) {
      t.fail(`mutant ${i} of ${target} took ${took.toFixed(0)} ms`);
      return;
    }
  }
  // The mutants must exercise both outcomes, or the fuzzer is not reaching the error paths.
  t.true(withDiagnostics > MUTANTS / 10, `only ${withDiagnostics} mutants produced diagnostics`);
  t.true(compiled > 0, 'no mutant compiled');
  t.log(`${MUTANTS} mutants in ${((performance.now() - started) / 1000).toFixed(1)} s: ${withDiagnostics} with diagnostics, ${compiled} compiled`);
});
