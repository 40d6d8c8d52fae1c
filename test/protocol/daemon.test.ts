import test from 'ava';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readDtb } from '../../src/dts/index.js';
import type { DtNode } from '../../src/dts/tree.js';

// End-to-end: the real CLI, a real daemon process, its readiness line, the client subcommands and shutdown.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/mdio-emu.js');
const run = promisify(execFile);

function cli(...args: string[]) {
  return run(process.execPath, [bin, ...args], { cwd: root, timeout: 20_000 });
}

test.serial(
  'serve prints ready, answers the client subcommands, and flushes the trace on SIGTERM',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-daemon-'));
    const sock = join(dir, 'emu.sock');
    const pidFile = join(dir, 'emu.pid');
    const traceFile = join(dir, 'trace.jsonl');
    const daemon = spawn(
      process.execPath,
      [bin, 'serve', '--unix', sock, '--pid-file', pidFile, '--trace', traceFile],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        let out = '';
        daemon.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
        });
        daemon.once('exit', (code) => {
          reject(new Error(`daemon exited ${code}`));
        });
        setTimeout(() => {
          reject(new Error('no readiness line within 20 s'));
        }, 20_000);
      });
      t.is(ready, `ready unix:${sock}`);
      t.is(readFileSync(pidFile, 'utf8').trim(), String(daemon.pid));

      const topo = JSON.parse((await cli('client', '--unix', sock, 'topology', '--json')).stdout) as {
        buses: { id: number; path: string; phys: { addr: number; phyId: number }[] }[];
        pse: { path: string; state: string; pis: unknown[] }[];
      };
      // What dts/default-board.dts says, read through dtc (the reference tool) and our DTB reader.
      const dtb = execFileSync('dtc', ['-I', 'dts', '-O', 'dtb', join(root, 'dts/default-board.dts')]);
      const tree = readDtb(dtb);
      const mdio = tree.root.children.find((n) => n.name.startsWith('mdio@'));
      t.truthy(mdio);
      const expectedPhys = (mdio as DtNode).children.map((n) => {
        const compat = n.properties.find((p) => p.name === 'compatible');
        const id = /ethernet-phy-id([0-9a-f]{4})\.([0-9a-f]{4})/.exec(
          Buffer.from(compat?.value.bytes ?? []).toString('latin1'),
        );
        return {
          addr: Number.parseInt(n.name.split('@')[1] ?? '', 16),
          phyId: Number.parseInt(`${id?.[1]}${id?.[2]}`, 16),
        };
      });
      t.deepEqual(
        topo.buses.map((b) => b.path),
        [`/${mdio?.name}`],
      );
      t.deepEqual(
        topo.buses[0]?.phys.map((p) => ({ addr: p.addr, phyId: p.phyId })),
        expectedPhys,
      );
      t.is(topo.pse[0]?.state, 'unregistered', 'the PSE driver loads late');
      t.is(topo.pse[0]?.pis.length, 2);

      const id1 = (await cli('client', '--unix', sock, 'read', '0', '1', '2')).stdout.trim();
      const id2 = (await cli('client', '--unix', sock, 'read', `/${mdio?.name}`, '1', '3')).stdout.trim();
      t.is(`${id1}${id2.slice(2)}`, `0x${expectedPhys[0]?.phyId.toString(16).padStart(8, '0')}`);
      t.is(
        (await cli('client', '--unix', sock, 'read', '0', '9', '2')).stdout.trim(),
        '0xffff',
        'empty address',
      );
      const err = await t.throwsAsync(cli('client', '--unix', sock, 'read', '5', '1', '2'));
      t.regex(String((err as { stderr?: string }).stderr), /NO_SUCH_BUS/);

      const watch = cli('client', '--unix', sock, 'watch', '--events', 'pse_lifecycle', '--count', '1');
      // The watcher needs a moment to connect and subscribe before the event fires.
      await new Promise((r) => setTimeout(r, 1500));
      await cli('client', '--unix', sock, 'trigger', 'pse-load');
      const line = JSON.parse((await watch).stdout.trim()) as { kind: string; state: number; path: string };
      t.deepEqual(
        { kind: line.kind, state: line.state, path: line.path },
        { kind: 'ev-pse-lifecycle', state: 1, path: topo.pse[0]?.path },
      );

      const exited = new Promise<number | null>((resolve) =>
        daemon.once('exit', (code) => {
          resolve(code);
        }),
      );
      daemon.kill('SIGTERM');
      t.is(await exited, 0);
      const trace = readFileSync(traceFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      t.true(trace.some((r) => r.type === 'mdio.read'));
      t.true(trace.some((r) => r.type === 'pse.lifecycle'));
      t.false(existsSync(sock), 'socket file removed');
      t.false(existsSync(pidFile), 'pid file removed');
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
