import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The native mdio-emu-dtc client and its warm tool server (cli/standalone/dtc-client.c, cli/tool-server.ts)
 * against the same tool run in a Node process of its own (dist/tools/dtc.cjs): for each command line the
 * same output files, stdout bytes, stderr text and exit status. MDIO_EMU_TOOL_SERVER=require makes the
 * client fail rather than fall back, so these runs went through the server. Each run of the test has its
 * own socket folder (XDG_RUNTIME_DIR) and server, stopped at the end.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tools = join(repo, 'dist', 'tools');
const client = join(tools, 'mdio-emu-dtc');

const BOARD = `/dts-v1/;
/include/ "soc.dtsi"
/ {
	model = "tool server test";
	#address-cells = <1>;
	#size-cells = <1>;
	memory@80000000 { device_type = "memory"; reg = <0x80000000 0x1000>; };
	aliases { serial0 = &uart0; };
};
&uart0 { status = "okay"; };
`;
const SOC = `/ {
	soc {
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		uart0: serial@1000 { compatible = "ns16550a"; reg = <0x1000 0x100>; status = "disabled"; };
		bad@2000 { reg = <0x3000 0x10>; };
	};
};
`;
const ERRORS = `/dts-v1/;
/ { a: node { }; b: node2 { x = <&missing>; }; };
`;
const SYNTAX = `/dts-v1/;
/ { prop = <1 2; };
`;
const OVERLAY = `/dts-v1/;
/plugin/;
&uart0 { current-speed = <115200>; };
`;

interface Run {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  files: Record<string, string>;
}

if (!existsSync(client)) {
  test.skip('mdio-emu-dtc through the tool server (no native client: npm run build with a C compiler)', () => undefined);
} else {
  const work = mkdtempSync(join(tmpdir(), 'mdio-emu-tool-server-'));
  const runtime = join(work, 'run');
  const dirs = { server: join(work, 'server'), local: join(work, 'local') };
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, MDIO_EMU_TOOL_SERVER_IDLE: '5' };

  const setUp = (dir: string): void => {
    spawnSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'board.dts'), BOARD);
    writeFileSync(join(dir, 'soc.dtsi'), SOC);
    writeFileSync(join(dir, 'errors.dts'), ERRORS);
    writeFileSync(join(dir, 'syntax.dts'), SYNTAX);
    writeFileSync(join(dir, 'overlay.dts'), OVERLAY);
  };
  setUp(dirs.server);
  setUp(dirs.local);
  spawnSync('mkdir', ['-m', '700', '-p', runtime]);

  /** Runs a command line through the server (`server`) or in a Node process of its own (`local`). */
  const run = (how: 'server' | 'local', tool: 'dtc' | 'fdtoverlay', args: string[], input?: string): Run => {
    const cwd = dirs[how];
    const before = new Set(readdirSync(cwd));
    const r =
      how === 'server'
        ? spawnSync(join(tools, `mdio-emu-${tool}`), args, {
            cwd,
            env: { ...env, MDIO_EMU_TOOL_SERVER: 'require' },
            ...(input !== undefined ? { input } : {}),
          })
        : spawnSync(process.execPath, [join(tools, `${tool}.cjs`), ...args], {
            cwd,
            ...(input !== undefined ? { input } : {}),
          });
    const files: Record<string, string> = {};
    for (const f of readdirSync(cwd)) {
      if (before.has(f)) continue;
      files[f] = readFileSync(join(cwd, f)).toString('latin1');
      rmSync(join(cwd, f));
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('latin1'), files };
  };

  const cases: { title: string; status: number; tool: 'dtc' | 'fdtoverlay'; args: string[]; input?: string }[] = [
    { title: 'a board with an /include/, its dependency file', status: 0, tool: 'dtc', args: ['-o', 'out.dtb', '-d', 'out.d', '-b', '0', 'board.dts'] },
    { title: 'check warnings switched by -W', status: 0, tool: 'dtc', args: ['-Wno-unit_address_vs_reg', '-o', 'out.dtb', 'board.dts'] },
    { title: 'DTS to stdout with -@', status: 0, tool: 'dtc', args: ['-@', '-O', 'dts', 'board.dts'] },
    { title: 'failing checks: status 2', status: 2, tool: 'dtc', args: ['-o', 'out.dtb', 'errors.dts'] },
    { title: 'a syntax error: status 1', status: 1, tool: 'dtc', args: ['-o', 'out.dtb', 'syntax.dts'] },
    { title: 'a missing input file', status: 1, tool: 'dtc', args: ['-o', 'out.dtb', 'absent.dts'] },
    { title: 'an unknown option', status: 1, tool: 'dtc', args: ['-Z', 'board.dts'] },
    { title: 'an unknown check name', status: 1, tool: 'dtc', args: ['-Wno-no_such_check', 'board.dts'] },
    { title: '-v', status: 0, tool: 'dtc', args: ['-v'] },
    { title: '--compat 1.6 -h', status: 0, tool: 'dtc', args: ['--compat', '1.6', '-h'] },
    { title: 'stdin input (run in-process by the client)', status: 0, tool: 'dtc', args: ['-O', 'dts', '-'], input: '/dts-v1/;\n/ { model = "from stdin"; };\n' },
    { title: 'fdtoverlay -v', status: 0, tool: 'fdtoverlay', args: ['-V'] },
    { title: 'fdtoverlay without overlays', status: 1, tool: 'fdtoverlay', args: ['-i', 'base.dtb', '-o', 'out.dtb'] },
  ];

  // This test's servers exit 5 s after its last run (one idling out between two cases is started again).
  test.after.always(() => {
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of cases) {
    test.serial(`through the tool server as in its own process: ${c.title}`, (t) => {
      const local = run('local', c.tool, c.args, c.input);
      const served = run('server', c.tool, c.args, c.input);
      t.is(local.status, c.status, local.stderr);
      t.is(served.status, local.status);
      t.is(served.stderr, local.stderr);
      t.true(served.stdout.equals(local.stdout), 'stdout differs');
      t.deepEqual(served.files, local.files);
    });
  }

  test.serial('fdtoverlay through the tool server applies an overlay as in its own process', (t) => {
    // run() removes what a run created: the inputs are built outside it, on both sides.
    const build = (how: 'local' | 'server'): void => {
      const r = spawnSync(process.execPath, [join(tools, 'dtc.cjs'), '-@', '-o', 'base.dtb', 'board.dts'], { cwd: dirs[how] });
      const o = spawnSync(process.execPath, [join(tools, 'dtc.cjs'), '-@', '-o', 'overlay.dtbo', 'overlay.dts'], { cwd: dirs[how] });
      t.is(r.status, 0);
      t.is(o.status, 0);
    };
    build('local');
    build('server');
    const local = run('local', 'fdtoverlay', ['-i', 'base.dtb', '-o', 'out.dtb', 'overlay.dtbo']);
    const served = run('server', 'fdtoverlay', ['-i', 'base.dtb', '-o', 'out.dtb', 'overlay.dtbo']);
    t.is(local.status, 0, local.stderr);
    t.deepEqual(served, local);
    t.true((local.files['out.dtb'] ?? '').includes('current-speed'));
  });
}
