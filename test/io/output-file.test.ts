import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from '../../src/diagnostics/index.js';
import { makeOutputDir, writeOutputFile } from '../../src/io/index.js';

// Issue 12, stack traces instead of errors: every output path a user names goes through src/io, so a path
// that cannot be written is one line with the path and the reason, exit 1, never `internal error` and 70.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/mdio-emu.js');

test('an unwritable output file or folder is an environment error naming the path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-out-'));
  try {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    const full = t.throws(() => writeOutputFile('/dev/full', 'data', 'report'), {
      instanceOf: EnvironmentError,
    });
    t.is(full.report(), '/dev/full: error CLI1103: cannot write the report: no space left on the device');
    const under = t.throws(() => makeOutputDir(join(file, 'sub'), 'report'), {
      instanceOf: EnvironmentError,
    });
    t.is(under.code, 'CLI1105');
    t.regex(
      under.report(),
      /plain\/sub: error CLI1105: cannot create the report folder: a component of the path/,
    );
    t.is(t.throws(() => makeOutputDir(file, 'report'), { instanceOf: EnvironmentError }).code, 'CLI1105');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI outputs into a file, /dev/full or a missing folder end in one line and exit 1', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-out-'));
  try {
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    const scenario = join(root, 'dts/gen-podl-pse-first.scenario.json');
    const cases: [string[], RegExp][] = [
      [
        ['scenario', 'run', scenario, '--report', join(file, 'r')],
        /CLI1105: cannot create the report folder/,
      ],
      [['scenario', 'generate', '--out', join(file, 'g')], /CLI1105: cannot create the output folder/],
      [['pse', 'firmware', file], /CLI1105: cannot create the firmware folder/],
      [['pse', 'map', dir], /CLI1003: the device tree is a directory/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      t.notRegex(r.stderr, /internal error|\n\s+at /, args.join(' '));
      t.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      t.regex(r.stderr, message, args.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
