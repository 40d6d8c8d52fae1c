import { corpusFiles, newestKernelTree } from './scripts/dts-corpus.ts';
import { preprocess, PreprocessCache } from './src/dts/preprocess.ts';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const root = newestKernelTree()!;
const files = corpusFiles(root);
const cache = new PreprocessCache();
const host = { readFile: (p: string) => { const f = p.startsWith('/') ? p : join(root, p); return existsSync(f) ? readFileSync(f, 'latin1') : undefined; } };
const lim = Number(process.argv[2]); const out = Number(process.argv[3]);
let maxOut = 0, maxFile = '', fails = 0, tmax = 0;
for (const f of files) {
  const t0 = performance.now();
  const pp = preprocess(f, host, { includeDirs: ['scripts/dtc/include-prefixes'], cache, limits: { expansionTokens: lim, outputChars: out } });
  const dt = performance.now() - t0; if (dt > tmax) tmax = dt;
  const bad = pp.diagnostics.filter(d => d.code === 'DTS5010' || d.code === 'DTS5011');
  if (bad.length) { fails++; console.log('LIMIT', f, bad[0]!.message); }
  if (pp.text.length > maxOut) { maxOut = pp.text.length; maxFile = f; }
}
console.log(files.length, 'files; max output', maxOut, maxFile, 'fails', fails, 'slowest ms', tmax.toFixed(0));
