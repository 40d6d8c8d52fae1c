import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTC_GENERATIONS, findReferenceDtc, missingReason, runTool, testDir, type ReferenceDtc } from './dtc-reference.js';

/**
 * `mdio-emu-dtc` (the bin build systems call as $(DTC)) against each generation's reference dtc (1.6.1,
 * 1.7.2, 1.8.1; scripts/dtc-reference.ts) with `--compat` set to it, flag by flag: the output bytes, the
 * dependency file, the exit status, and what is written when. Each case runs the same command line through
 * both in a scratch copy of one board, so paths in the outputs are the same.
 */

const repo = join(testDir, '../..');
const ours = join(repo, 'bin/mdio-emu-dtc.js');

const BOARD = `/dts-v1/;
/memreserve/ 0x10000000 0x4000;
rsv: /memreserve/ 0x20000000 0x100000;
/include/ "inc/soc.dtsi"

/ {
\tmodel = "test board";
\tcompatible = "vendor,board", "vendor,soc";
\tchosen { stdout-path = &uart0; };
\tfw: firmware { blob = /incbin/("data.bin"); part = /incbin/("data.bin", 2, 3); };
};

&uart0 {
\tstatus = "okay";
\tcells = <1 mid: 2 3>, /bits/ 16 <0x1234>;
\tlbl_prop: speed = <115200>;
\tbytes = [01 02 03 04 05];
};

&soc {
\tsensor@40 { compatible = "ti,tmp102"; reg = <0x40>; clocks = <&clk 1>; };
};
`;
const SOC = `/ {
\t#address-cells = <1>;
\t#size-cells = <1>;
\tcpus {
\t\t#address-cells = <1>;
\t\t#size-cells = <0>;
\t\tcpu@1 { device_type = "cpu"; reg = <1>; };
\t};
\tclk: clock-controller { #clock-cells = <1>; };
\tsoc: soc {
\t\tcompatible = "simple-bus";
\t\t#address-cells = <1>;
\t\t#size-cells = <0>;
\t\tranges;
\t\tuart0: serial@1000 { compatible = "ns16550a"; reg = <0x1000>; };
\t};
\tbad-unit { reg = <0x5000 0x10>; };
};
`;

interface Outcome {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  files: Map<string, Buffer | undefined>;
}

/** A scratch board: board.dts, inc/soc.dtsi, data.bin, and a directory whose name has a space. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-dtc-flags-'));
  mkdirSync(join(dir, 'inc'));
  mkdirSync(join(dir, 'with space'));
  writeFileSync(join(dir, 'board.dts'), BOARD);
  writeFileSync(join(dir, 'inc/soc.dtsi'), SOC);
  writeFileSync(join(dir, 'with space/soc.dtsi'), SOC);
  writeFileSync(join(dir, 'data.bin'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22]));
  return dir;
}

/** Runs one tool with `args` in a fresh scratch board and collects the named output files. */
function runIn(tool: ReferenceDtc | 'ours', args: readonly string[], outputs: readonly string[], setup?: (dir: string) => void): Outcome {
  const dir = scratch();
  try {
    setup?.(dir);
    const r =
      tool === 'ours'
        ? (({ status, stdout, stderr }) => ({ status, stdout, stderr: stderr.toString('latin1') }))(spawnSync(process.execPath, [ours, ...args], { cwd: dir, maxBuffer: 64 << 20, timeout: 30_000 }))
        : runTool(tool.dtc, args, { cwd: dir, timeoutMs: 30_000 });
    const files = new Map(outputs.map((f) => [f, existsSync(join(dir, f)) ? readFileSync(join(dir, f)) : undefined]));
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Same exit status, same stdout bytes, same output files (or both absent). Fatal errors (`FATAL ERROR: ...`)
 * carry no source position, so with `exactStderr` their text must match too; diagnostics with positions are
 * printed in mdio-emu's own format and compared elsewhere (test/dts/warnings).
 */
function same(reference: ReferenceDtc, args: readonly string[], outputs: readonly string[] = [], setup?: (dir: string) => void, exactStderr = false) {
  return (t: import('ava').ExecutionContext): void => {
    const ref = runIn(reference, args, outputs, setup);
    const got = runIn('ours', ['--compat', reference.generation, ...args], outputs, setup);
    if (exactStderr) t.is(got.stderr, ref.stderr);
    t.is(got.status, ref.status, `exit status (dtc stderr: ${ref.stderr.slice(0, 300)}; ours: ${got.stderr.slice(0, 300)})`);
    t.true(got.stdout.equals(ref.stdout), `stdout differs:\n--- dtc\n${ref.stdout.toString('latin1').slice(0, 800)}\n--- ours\n${got.stdout.toString('latin1').slice(0, 800)}`);
    for (const f of outputs) {
      const a = ref.files.get(f);
      const b = got.files.get(f);
      if (a === undefined) t.is(b, undefined, `${f} written by us, not by dtc`);
      else t.true(b?.equals(a), `${f} differs:\n--- dtc\n${a.toString('latin1').slice(0, 400)}\n--- ours\n${b?.toString('latin1').slice(0, 400) ?? '(absent)'}`);
    }
  };
}

const cases: [string, string[], string[]?, ((dir: string) => void)?][] = [
  // kbuild's command line (scripts/Makefile.dtbs cmd_dtc), dependency file included.
  ['kbuild: -o -b 0 -i -i -Wno-... -d', ['-o', 'out.dtb', '-b', '0', '-iinc', '-i', '.', '-Wno-unit_address_vs_reg', '-Wno-simple_bus_reg', '-d', 'out.d.tmp', 'board.dts'], ['out.dtb', 'out.d.tmp']],
  ['-d with the dtsi found through -i, and a path with a space', ['-i', 'with space', '-O', 'dtb', '-o', 'out.dtb', '-d', 'dep', 'board2.dts'], ['out.dtb', 'dep'], (d) => writeFileSync(join(d, 'board2.dts'), BOARD.replace('inc/soc.dtsi', 'soc.dtsi'))],
  ['-d to stdout output', ['-d', 'dep', 'board.dts'], ['dep']],
  ['-d with a syntax error (partial file, exit 1)', ['-o', 'out.dtb', '-d', 'dep', 'broken.dts'], ['out.dtb', 'dep'], (d) => writeFileSync(join(d, 'broken.dts'), '/dts-v1/;\n/include/ "inc/soc.dtsi"\n/ { x = <1> };\n')],
  ['-d with failed checks (exit 2, no output)', ['-o', 'out.dtb', '-d', 'dep', 'dup.dts'], ['out.dtb', 'dep'], (d) => writeFileSync(join(d, 'dup.dts'), '/dts-v1/;\n/ { a { x; }; b { phandle = <1>; }; c { phandle = <1>; }; };\n')],
  ['-f with failed checks writes the blob', ['-f', '-o', 'out.dtb', 'dup.dts'], ['out.dtb'], (d) => writeFileSync(join(d, 'dup.dts'), '/dts-v1/;\n/ { b { phandle = <1>; }; c { phandle = <1>; }; };\n')],
  ['-O asm', ['-O', 'asm', 'board.dts']],
  ['-O asm -V 16 -R 2 -S 0x2000', ['-O', 'asm', '-V', '16', '-R', '2', '-S', '0x2000', 'board.dts']],
  ['-O asm -V 1 -p 64 -a 256', ['-O', 'asm', '-V', '1', '-p', '64', '-a', '256', 'board.dts']],
  ['-O asm -@', ['-O', 'asm', '-@', 'board.dts']],
  ['-O yaml', ['-O', 'yaml', 'board.dts']],
  ['-O yaml -@ -A', ['-O', 'yaml', '-@', '-A', 'board.dts']],
  ['-o x.yaml picks YAML', ['-o', 'out.yaml', 'board.dts'], ['out.yaml']],
  ['-O yaml of a blob requires dts input', ['-q', '-I', 'dtb', '-O', 'yaml', '-o', 'out.yaml', 'in.dtb'], ['out.yaml'], (d) => writeFileSync(join(d, 'in.dtb'), dtcBlob(d))],
  ['-V 1', ['-O', 'dtb', '-V', '1', 'board.dts']],
  ['-V 2', ['-O', 'dtb', '-V', '2', 'board.dts']],
  ['-V 3', ['-O', 'dtb', '-V', '0x3', 'board.dts']],
  ['-V 16', ['-O', 'dtb', '-V', '16', 'board.dts']],
  ['-V 5 is fatal', ['-q', '-O', 'dtb', '-V', '5', '-o', 'out.dtb', 'board.dts'], ['out.dtb']],
  ['-R 3', ['-R', '3', 'board.dts']],
  ['-S 8192', ['-S', '8192', 'board.dts']],
  ['-S smaller than the blob', ['-S', '16', 'board.dts']],
  ['-p 100', ['-p', '100', 'board.dts']],
  ['-a 64', ['-a', '64', 'board.dts']],
  ['-p 100 -a 0x1000', ['-p', '100', '-a', '0x1000', 'board.dts']],
  ['-a 3 is fatal', ['-a', '3', 'board.dts']],
  ['-p with -S is fatal', ['-p', '8', '-S', '4096', 'board.dts']],
  ['-b 0x12', ['-b', '0x12', 'board.dts']],
  ['-b on a blob', ['-I', 'dtb', '-O', 'dtb', '-b', '7', 'in.dtb'], [], (d) => writeFileSync(join(d, 'in.dtb'), dtcBlob(d))],
  ['-H legacy', ['-H', 'legacy', 'board.dts']],
  ['-H both', ['-H', 'both', 'board.dts']],
  ['-H bogus is fatal', ['-H', 'bogus', 'board.dts']],
  ['-@', ['-@', 'board.dts']],
  ['-A', ['-A', 'board.dts']],
  ['-s', ['-s', 'board.dts']],
  ['--sort -O dts', ['--sort', '-O', 'dts', 'board.dts']],
  ['-I dtb -O dts -s (dtdiff)', ['-I', 'dtb', '-O', 'dts', '-qq', '-s', 'in.dtb'], [], (d) => writeFileSync(join(d, 'in.dtb'), dtcBlob(d))],
  ['input format guessed from the magic, output from -o', ['-o', 'out.dts', 'in.bin'], ['out.dts'], (d) => writeFileSync(join(d, 'in.bin'), dtcBlob(d))],
  ['-O dts from source', ['-O', 'dts', 'board.dts']],
  ['-q', ['-q', 'board.dts']],
  ['-qqq with failed checks', ['-qqq', 'dup.dts'], [], (d) => writeFileSync(join(d, 'dup.dts'), '/dts-v1/;\n/ { b { phandle = <1>; }; c { phandle = <1>; }; };\n')],
  ['-E turns a warning into an error (exit 2)', ['-Eunit_address_vs_reg', '-o', 'out.dtb', 'board.dts'], ['out.dtb']],
  ['-W then -E then -Eno- leaves a warning', ['-Wunit_address_vs_reg', '-Eunit_address_vs_reg', '-Eno-unit_address_vs_reg', '-o', 'out.dtb', 'board.dts'], ['out.dtb']],
  ['-Eno- on an error check turns it off', ['-Eno-duplicate_node_names', '-o', 'out.dtb', 'dupnames.dts'], ['out.dtb'], (d) => writeFileSync(join(d, 'dupnames.dts'), '/dts-v1/;\n/ { a { }; };\n/ { a { }; };\n')],
  ['-Wno_ spelling', ['-Wno_unit_address_vs_reg', 'board.dts']],
  ['unknown check name is fatal', ['-Wno-such_check', 'board.dts']],
  ['hyphens are not underscores in check names', ['-Wunit-address-vs-reg', 'board.dts']],
  ['long options with = and abbreviations', ['--out-format=dtb', '--out', 'out.dtb', '--incl', 'inc', '--bo=3', 'board.dts'], ['out.dtb']],
  ['clustered short options and an operand first', ['board.dts', '-qq@', '-Odtb']],
  ['-- ends options', ['-O', 'dts', '--', 'board.dts']],
  ['unknown option: usage on stderr, exit 1', ['-x', 'board.dts']],
  ['two inputs: usage, exit 1', ['board.dts', 'board.dts']],
  ['missing input file', ['-o', 'out.dtb', 'nope.dts'], ['out.dtb']],
  ['-v', ['-v']],
  ['-T requires dts to dts', ['-T', '-O', 'dtb', 'board.dts']],
  ['-T annotates -O dts with file:line', ['-T', '-O', 'dts', 'board.dts']],
  ['-T -T annotates with lines and columns, -@ items unannotated', ['-T', '-T', '-@', '-O', 'dts', 'board.dts']],
  ['unknown output format', ['-q', '-O', 'xml', 'board.dts']],
  ['unknown input format', ['-q', '-I', 'xml', 'board.dts']],
];

/** A blob of the scratch board made by dtc itself, for the -I dtb cases. */
function dtcBlob(dir: string): Buffer {
  const r = spawnSync('dtc', ['-q', '-O', 'dtb', 'board.dts'], { cwd: dir });
  return r.stdout;
}

for (const generation of DTC_GENERATIONS) {
  const reference = findReferenceDtc(generation);
  if (!reference) {
    test.skip(`mdio-emu-dtc --compat ${generation} flags (${missingReason(generation) ?? 'no reference'})`, () => undefined);
    continue;
  }
  for (const [name, args, outputs, setup] of cases)
    test(`dtc ${reference.version}: ${name}`, same(reference, args, outputs ?? [], setup, /fatal|missing input|^-v$|requires|unknown (in|out)put/.test(name)));

  test(`dtc ${reference.version}: - reads stdin, and -d names it <stdin>`, (t) => {
    const dir = scratch();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const input = `/dts-v1/;\n${readFileSync(join(dir, 'inc/soc.dtsi'), 'latin1')}`;
    const args = ['-O', 'dtb', '-d', 'dep', '-'];
    const ref = runTool(reference.dtc, args, { cwd: dir, input });
    const refDep = readFileSync(join(dir, 'dep'));
    const got = spawnSync(process.execPath, [ours, '--compat', generation, ...args], { cwd: dir, input });
    t.is(got.status, ref.status);
    t.true(got.stdout.equals(ref.stdout));
    t.true(readFileSync(join(dir, 'dep')).equals(refDep));
  });

  test(`dtc ${reference.version}: getopt_long's complaints, the same first line and exit status`, (t) => {
    // -L is dtc 1.7's: for 1.6 it is an unknown option.
    for (const bad of ['--out-', '--in', '--quiet=1', '-o', '--out', '--bogus', '-x', ...(generation === '1.6' ? ['-L'] : [])]) {
      const ref = runTool(reference.dtc, [bad]);
      const got = spawnSync(process.execPath, [ours, '--compat', generation, bad], { encoding: 'latin1' });
      t.is(got.status, ref.status, bad);
      // The usage that follows lists mdio-emu's additions (--cpp, -D, -U) too, so only the first line is dtc's.
      // glibc names the program by its argv[0], a long path for an unpacked reference.
      const first = (text: string): string => (text.split('\n')[0] ?? '').replace(/^[^ ]*dtc: /, 'dtc: ');
      t.is(first(got.stderr), first(ref.stderr), bad);
    }
  });

  test(`dtc ${reference.version}: the FATAL ERROR line and status of each way a parse fails`, (t) => {
    const inputs: Record<string, string> = {
      'grammar.dts': '/dts-v1/;\n/ { x = <1> };\n',
      'semantic.dts': '/dts-v1/;\n/ { x = <(1/0)>; y = <&nolabel>; };\n',
      'include.dts': '/dts-v1/;\n/include/ "nope.dtsi"\n/ { };\n',
      'escape.dts': '/dts-v1/;\n/ { x = "\\x"; };\n',
    };
    const dir = scratch();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    for (const [name, text] of Object.entries(inputs)) {
      writeFileSync(join(dir, name), text);
      const ref = runTool(reference.dtc, ['-O', 'dtb', '-o', '/dev/null', name], { cwd: dir });
      const got = spawnSync(process.execPath, [ours, '--compat', generation, '-O', 'dtb', '-o', '/dev/null', name], { cwd: dir, encoding: 'latin1' });
      const last = (text: string): string => text.trimEnd().split('\n').pop() ?? '';
      t.is(got.status, ref.status, name);
      t.is(last(got.stderr), last(ref.stderr), name);
    }
  });
}
