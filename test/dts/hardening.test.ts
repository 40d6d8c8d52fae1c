import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_CHECK_REPORTS } from '../../src/dts/checks.js';
import { StringTable } from '../../src/dts/dtb-write.js';
import { compileDts } from '../../src/dts/compile.js';
import { testDir } from './dtc-reference.js';

// Issue 12, the device-tree half: hostile DTS input ends at once with one located error and dtc's exit status.
// Each case runs the shipped bins in a scratch folder; the spawn timeout turns a hang into a failure.

const repo = join(testDir, '../..');
const dtcBin = join(repo, 'bin/mdio-emu-dtc.js');
const cliBin = join(repo, 'bin/mdio-emu.js');

interface Run {
  status: number | null;
  stderr: string;
  ms: number;
}

function run(bin: string, args: readonly string[], cwd: string, nodeFlags: readonly string[] = []): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...nodeFlags, bin, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, ms: Date.now() - t0 };
}

function scratch(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-dts-harden-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

const CPP_FAILURES: [string, string, RegExp][] = [
  ['a missing #include', '#include "missing.h"\n', /DTS5001: missing\.h: No such file or directory/],
  ['#error', '#error stop here\n', /DTS5003: #error stop here/],
  ['an unterminated #if', '#if 1\n', /DTS5005/],
  ['division by zero in #if', '#if 1/0\n#endif\n', /DTS5007: division by zero/],
  ['a recursive #include', '#include "board.dts"\n', /DTS5002: .*include cycle/],
];

for (const [what, directive, message] of CPP_FAILURES) {
  test(`issue 12 #7: dtc --cpp with ${what} exits 1 and writes no DTB`, (t) => {
    const dir = scratch({ 'board.dts': `/dts-v1/;\n${directive}/ { model = "m"; };\n` });
    try {
      const r = run(dtcBin, ['--cpp', '-I', 'dts', '-O', 'dtb', '-o', 'out.dtb', 'board.dts'], dir);
      t.is(r.status, 1, r.stderr);
      t.regex(r.stderr, message);
      t.false(existsSync(join(dir, 'out.dtb')), 'no blob for a build system to pick up');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('issue 12 #7: a #warning is not an error (dtc --cpp still compiles)', (t) => {
  const dir = scratch({ 'board.dts': '/dts-v1/;\n#warning careful\n/ { model = "m"; };\n' });
  try {
    const r = run(dtcBin, ['--cpp', '-o', 'out.dtb', 'board.dts'], dir);
    t.is(r.status, 0, r.stderr);
    t.true(existsSync(join(dir, 'out.dtb')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// dtc reads /dev/zero until memory runs out (/incbin/) or fails on its NULs (/include/): refuse it before reading.
const DEVICE_INCLUDES: [string, string, readonly string[], RegExp][] = [
  ['/include/ "/dev/zero"', '/include/ "/dev/zero"\n/ { };\n', [], /DTS1011: Couldn't open "\/dev\/zero": not a regular file/],
  ['/incbin/("/dev/zero")', '/ { a = /incbin/("/dev/zero"); };\n', [], /DTS1011: Couldn't open "\/dev\/zero": not a regular file/],
  ['#include "/dev/zero"', '#include "/dev/zero"\n/ { };\n', ['--cpp'], /DTS5001: \/dev\/zero: not a regular file/],
  ['/include/ of a directory', '/include/ "."\n/ { };\n', [], /Couldn't open "\.": Is a directory/],
];

for (const [what, body, extra, message] of DEVICE_INCLUDES) {
  test(`issue 12 #8: ${what} is refused at once by dtc, phy list and dts check`, (t) => {
    const dir = scratch({ 'board.dts': `/dts-v1/;\n${body}` });
    try {
      for (const [bin, args] of [
        [dtcBin, [...extra, '-o', 'out.dtb', 'board.dts']],
        [cliBin, ['phy', 'list', 'board.dts']],
        [cliBin, ['dts', 'check', 'board.dts']],
      ] as const) {
        const r = run(bin, args, dir);
        t.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
        t.regex(r.stderr, message, args.join(' '));
        t.notRegex(r.stderr, /internal error/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('issue 12 #8: dtc refuses a device as its input file', (t) => {
  const r = run(dtcBin, ['-o', '-', '/dev/zero'], tmpdir());
  t.is(r.status, 1);
  t.regex(r.stderr, /^FATAL ERROR: Couldn't open "\/dev\/zero": not a regular file$/m);
});

// dtc 1.6.1, 1.7.2 and 1.8.1 alike (checked by hand): a length of 2^32 or more dies in data_copy_file
// ("Bad address"), all ones means "to the end", an offset from 2^63 on fails fseek; shorter lengths are cut.
const INCBIN: [string, number, RegExp | undefined][] = [
  ['2, 100', 0, undefined],
  ['0, 0xffffffffffffffff', 0, undefined],
  ['0, 0x100000000', 1, /^FATAL ERROR: Error reading file into data: Bad address$/m],
  ['3, 0xfffffffffffffffe', 1, /^FATAL ERROR: Error reading file into data: Bad address$/m],
  ['0x8000000000000000, 1', 1, /^FATAL ERROR: Couldn't seek to offset 9223372036854775808 in "ten.bin": Invalid argument$/m],
];

for (const [args, status, message] of INCBIN) {
  test(`issue 12: /incbin/("ten.bin", ${args}) exits ${status} as dtc does`, (t) => {
    const dir = scratch({
      'ten.bin': new Uint8Array(10).fill(7),
      'board.dts': `/dts-v1/;\n/ { a = /incbin/("ten.bin", ${args}); };\n`,
    });
    try {
      const r = run(dtcBin, ['-o', 'out.dtb', 'board.dts'], dir);
      t.is(r.status, status, r.stderr);
      if (message) t.regex(r.stderr, message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('issue 12 #9: a 50 MB string property compiles (no stack overflow in the scanner)', (t) => {
  const value = 'a\\n'.repeat(17_000_000);
  const r = compileDts(`/dts-v1/;\n/ { big = "${value}"; };\n`, { fileName: 'big.dts' });
  t.deepEqual(r.diagnostics, []);
  // Each `\n` escape is one byte, plus the string's NUL.
  t.is(r.tree?.root.properties.find((p) => p.name === 'big')?.value.bytes.length, 34_000_001);
});

// dtc's bison stack (YYMAXDEPTH 10000) holds every finished sibling and every pending label of an open node:
// dtc 1.6.1 stops near 10^4 of them with "memory exhausted" at once. 10^5 ran for minutes here before.
const CROWDS: [string, string][] = [
  ['10^5 same-name siblings', `/ {\n${'  n { a = <1>; };\n'.repeat(100_000)}};\n`],
  ['10^5 labels on one node', `/ {\n  ${Array.from({ length: 100_000 }, (_, i) => `l${i}: `).join('')}n { };\n};\n`],
];

for (const [what, body] of CROWDS) {
  test(`issue 12 #10: ${what} fail at once with dtc's "memory exhausted"`, (t) => {
    const dir = scratch({ 'board.dts': `/dts-v1/;\n${body}` });
    try {
      const r = run(dtcBin, ['-o', 'out.dtb', 'board.dts'], dir);
      t.is(r.status, 1, r.stderr.slice(0, 500));
      t.regex(r.stderr, /board\.dts:\d+:\d+: error DTS1022: memory exhausted/);
      t.regex(r.stderr, /^FATAL ERROR: Unable to parse input tree$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('issue 12 #10: 9000 same-name siblings (under the stack limit) report at most 10000 duplicates, then one line', (t) => {
  const r = compileDts(`/dts-v1/;\n/ {\n${'  n { };\n'.repeat(9000)}};\n`, { fileName: 'b.dts' });
  const duplicates = r.diagnostics.filter((d) => d.code === 'DTS2001');
  // dtc prints all 9000·8999/2 = 40,495,500 pairs; the first ones are the same here.
  t.is(duplicates.length, MAX_CHECK_REPORTS + 1);
  t.regex(duplicates.at(-1)?.message ?? '', /more findings not shown/);
  t.true(r.checksFailed);
  t.is(r.dtb, undefined);
});

// Ten-fold expansions nested nine deep (10^10 tokens), doubling function-like macros (2^128), and 10^8 copies
// of a 100-character string: each must stop at the preprocessor's limits, in a heap of 256 MB (the node flag
// makes an overrun a crash) and well inside the spawn's 20 s (main took 49 s and 4 GB for the first).
const tenfold = (name: string, leaf: string): string =>
  [`#define ${name}0 ${leaf}`, ...Array.from({ length: 9 }, (_, i) => `#define ${name}${i + 1} ${`${name}${i} `.repeat(10)}`)].join('\n');
const BOMBS: [string, string, RegExp][] = [
  ['nested object-like macros', `${tenfold('A', 'x x x x x x x x x x')}\n/ { p = A9; };\n`, /DTS5010: macro expansion exceeds 1000000 tokens/],
  [
    'doubling function-like macros',
    `#define F0(x) x x\n${Array.from({ length: 7 }, (_, i) => `#define F${i + 1}(x) F${i}(F${i}(x))`).join('\n')}\n/ { p = F7(y); };\n`,
    /DTS5010/,
  ],
  ['long strings', `${tenfold('B', `"${'a'.repeat(100)}"`)}\n/ { p = B8; };\n`, /DTS5011: output exceeds 16777216 characters/],
];

for (const [what, body, message] of BOMBS) {
  test(`issue 12 #11: a macro bomb (${what}) stops at the preprocessor's limits within 256 MB`, (t) => {
    const dir = scratch({ 'board.dts': `/dts-v1/;\n${body}` });
    try {
      const r = run(dtcBin, ['--cpp', '-o', 'out.dtb', 'board.dts'], dir, ['--max-old-space-size=256']);
      t.is(r.status, 1, r.stderr.slice(0, 500));
      t.regex(r.stderr, message);
      t.false(existsSync(join(dir, 'out.dtb')));
      t.log(`${r.ms} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('issue 12 #8: fdtoverlay refuses /dev/zero as the base or an overlay before reading it', (t) => {
  const fdtoverlay = join(repo, 'bin/mdio-emu-fdtoverlay.js');
  for (const args of [
    ['-i', '/dev/zero', '-o', '-', '/dev/zero'],
    ['-i', join(repo, 'dts/default-board.dts'), '-o', '-', '/dev/zero'],
  ]) {
    const r = run(fdtoverlay, args, tmpdir());
    t.is(r.status, 1, r.stderr);
    t.regex(r.stderr, /^Couldn't open blob from '\/dev\/zero': not a regular file$/m);
  }
});

test('issue 12 #10: 10^5 properties in one node compile (the string table and duplicate check were n²)', (t) => {
  const body = Array.from({ length: 100_000 }, (_, i) => `  p${i} = <1>;\n`).join('');
  const dir = scratch({ 'board.dts': `/dts-v1/;\n/ {\n${body}};\n` });
  try {
    const r = run(dtcBin, ['-o', 'out.dtb', 'board.dts'], dir);
    t.is(r.status, 0, r.stderr.slice(0, 500));
    t.log(`${r.ms} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the string table shares tails exactly as the first-occurrence scan it replaces', (t) => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-c,#-]{0,6}$/), { maxLength: 60 }), (names) => {
      const table = new StringTable();
      let text = '';
      for (const name of names) {
        let expected = text.indexOf(`${name}\0`);
        if (expected < 0) {
          expected = text.length;
          text += `${name}\0`;
        }
        if (table.insert(name) !== expected) return false;
      }
      return Buffer.from(table.bytes).toString('latin1') === text;
    }),
    { seed: 0x57ab, numRuns: 5000 },
  );
  t.pass();
});
