import type { Command } from 'commander';
import { defaultUnixPath } from '../emulator/default-socket.js';
import { MdioClient } from '../src/protocol/client.js';
import { ALL_EVENTS, EventMask } from '../src/protocol/codec/constants.js';
import type { Event } from '../src/protocol/codec/messages.js';
import { formatDifference } from '../src/replay/verify.js';
import { verifyThroughClient } from '../src/protocol/verify.js';
import { integerArg, numberArg, tcpArg } from './options.js';
import { ExitCodeError } from './run.js';
import { readTraceFile } from './trace-io.js';

interface Globals {
  unix?: string;
  tcp?: { host: string; port: number };
}

function parseNumber(what: string, text: string, max: number): number {
  try {
    return integerArg(0, max)(text);
  } catch {
    throw new ExitCodeError(2, `bad ${what} "${text}" (0..${max})`);
  }
}

const hex4 = (v: number) => `0x${v.toString(16).padStart(4, '0')}`;

async function withClient<T>(cmd: Command, body: (c: MdioClient) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals<Globals>();
  const target = g.tcp ?? { unix: g.unix ?? defaultUnixPath() };
  let client: MdioClient;
  try {
    client = await MdioClient.connect(target, { name: 'mdio-emu-cli' });
  } catch (err) {
    throw new ExitCodeError(1, `cannot connect: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return await body(client);
  } catch (err) {
    if (err instanceof Error && err.name === 'RemoteError')
      throw new ExitCodeError(1, `mdio-emu: ${err.message}`);
    throw err;
  } finally {
    await client.close();
  }
}

/** BUS is the bus id or the DT path of the MDIO bus node. */
async function resolveBus(c: MdioClient, text: string): Promise<number> {
  if (/^(0x)?[0-9a-f]+$/i.test(text)) return parseNumber('bus', text, 0xffff);
  const bus = (await c.topology()).buses.find((b) => b.path === text);
  if (!bus) throw new ExitCodeError(1, `no MDIO bus with path ${text}`);
  return bus.id;
}

function eventJson(e: Event): string {
  return JSON.stringify(e, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v,
  );
}

export function register(program: Command): void {
  const client = program
    .command('client')
    .description('talk to a running `mdio-emu serve`')
    .option('--unix <path>', 'UNIX socket of the daemon')
    .option('--tcp <[host:]port>', 'TCP address of the daemon', tcpArg);

  client
    .command('topology')
    .description('list buses, PHYs, PSE controllers and I2C devices')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const topo = await withClient(cmd, (c) => c.topology());
      if (o.json) {
        process.stdout.write(`${JSON.stringify(topo, null, 2)}\n`);
        return;
      }
      for (const b of topo.buses) {
        process.stdout.write(`mdio ${b.id} ${b.path}\n`);
        for (const p of b.phys)
          process.stdout.write(`  phy ${p.addr} id 0x${p.phyId.toString(16).padStart(8, '0')} ${p.path}\n`);
      }
      for (const c of topo.pse) {
        process.stdout.write(`pse ${c.id} ${c.path} ${c.compatible} ${c.state}\n`);
        for (const pi of c.pis) process.stdout.write(`  pi ${pi.index} ${pi.name}\n`);
      }
      for (const b of topo.i2c) {
        process.stdout.write(`i2c ${b.id} ${b.path}\n`);
        for (const d of b.devices)
          process.stdout.write(`  0x${d.addr.toString(16)} ${d.compatible} ${d.path}\n`);
      }
    });

  client
    .command('read <bus> <phy> <reg>')
    .description('Clause 22 read; prints 0xNNNN')
    .action(async (bus: string, phy: string, reg: string, _o: unknown, cmd: Command) => {
      // Checked before connecting: a usage error needs no daemon.
      const p = parseNumber('PHY', phy, 31);
      const r = parseNumber('register', reg, 31);
      const v = await withClient(cmd, async (c) => c.c22Read(await resolveBus(c, bus), p, r));
      process.stdout.write(`${hex4(v)}\n`);
    });

  client
    .command('write <bus> <phy> <reg> <value>')
    .description('Clause 22 write')
    .action(async (bus: string, phy: string, reg: string, value: string, _o: unknown, cmd: Command) => {
      const p = parseNumber('PHY', phy, 31);
      const r = parseNumber('register', reg, 31);
      const v = parseNumber('value', value, 0xffff);
      await withClient(cmd, async (c) => c.c22Write(await resolveBus(c, bus), p, r, v));
    });

  client
    .command('c45 <op> <bus> <port> <devad> <reg> [value]')
    .description('Clause 45 read|write; read prints 0xNNNN')
    .action(
      async (
        op: string,
        bus: string,
        port: string,
        devad: string,
        reg: string,
        value: string | undefined,
        _o: unknown,
        cmd: Command,
      ) => {
        if (op !== 'read' && op !== 'write')
          throw new ExitCodeError(2, `c45: op must be read or write, not "${op}"`);
        if (op === 'write' && value === undefined) throw new ExitCodeError(2, 'c45 write needs a VALUE');
        const p = parseNumber('port', port, 31);
        const d = parseNumber('devad', devad, 31);
        const r = parseNumber('register', reg, 0xffff);
        const v = op === 'write' ? parseNumber('value', value ?? '', 0xffff) : 0;
        await withClient(cmd, async (c) => {
          const b = await resolveBus(c, bus);
          if (op === 'read') process.stdout.write(`${hex4(await c.c45Read(b, p, d, r))}\n`);
          else await c.c45Write(b, p, d, r, v);
        });
      },
    );

  client
    .command('i2c <bus> <addr>')
    .description('I2C transfer: write bytes, then read; prints ack|nack-address|nack-data and the bytes read')
    .option('--write <hex>', 'bytes to write, hex (e.g. 0c00)', '')
    .option('--read <n>', 'bytes to read', integerArg(0, 0xffff), 0)
    .action(async (bus: string, addr: string, o: { write: string; read: number }, cmd: Command) => {
      if (!/^([0-9a-f]{2})*$/i.test(o.write))
        throw new ExitCodeError(2, `--write must be hex bytes, not "${o.write}"`);
      const b = parseNumber('bus', bus, 0xffff);
      const a = parseNumber('address', addr, 0x7f);
      const r = await withClient(cmd, (c) => c.i2cTransfer(b, a, Buffer.from(o.write, 'hex'), o.read));
      const names = ['ack', 'nack-address', 'nack-data'];
      process.stdout.write(
        `${names[r.result] ?? r.result}${r.data.length ? ` ${Buffer.from(r.data).toString('hex')}` : ''}\n`,
      );
      if (r.result !== 0) process.exitCode = 1;
    });

  client
    .command('pse <op> [controller] [pi]')
    .description('PSE: list | status C PI | enable C PI | disable C PI')
    .action(
      async (
        op: string,
        controller: string | undefined,
        pi: string | undefined,
        _o: unknown,
        cmd: Command,
      ) => {
        await withClient(cmd, async (c) => {
          if (op === 'list') {
            for (const p of await c.pseList())
              process.stdout.write(
                `${JSON.stringify({ ...p, state: p.state === 1 ? 'registered' : 'unregistered' })}\n`,
              );
            return;
          }
          if (controller === undefined || pi === undefined)
            throw new ExitCodeError(2, `pse ${op} needs CONTROLLER PI`);
          const ci = parseNumber('controller', controller, 0xffff);
          const pii = parseNumber('PI', pi, 0xffff);
          if (op === 'status') {
            const s = await c.pseStatus(ci, pii);
            const status = {
              adminState: s.adminState,
              powerStatus: s.powerStatus,
              powerClass: s.powerClass,
              actualPowerMw: s.actualPowerMw,
              powerLimitMw: s.powerLimitMw,
            };
            process.stdout.write(`${JSON.stringify(status)}\n`);
          } else if (op === 'enable' || op === 'disable') await c.pseAdmin(ci, pii, op === 'enable');
          else throw new ExitCodeError(2, `pse: unknown op "${op}"`);
        });
      },
    );

  client
    .command('trigger <event>')
    .description('trigger a scenario event (e.g. pse-load)')
    .action(async (event: string, _o: unknown, cmd: Command) => {
      await withClient(cmd, (c) => c.trigger(event));
    });

  client
    .command('clock')
    .argument('[op]', 'get | run | step | realtime | virtual')
    .argument('[ms]', 'with run: milliseconds of virtual time', numberArg(0, Number.MAX_SAFE_INTEGER / 1e6))
    .description('virtual clock: get | run MS | step | realtime | virtual; prints the time in ns')
    .action(async (op: string | undefined, msArg: number | undefined, _o: unknown, cmd: Command) => {
      const ops = {
        get: 'get',
        run: 'run',
        step: 'step',
        realtime: 'realtime-on',
        virtual: 'realtime-off',
      } as const;
      const name = op ?? 'get';
      if (!Object.hasOwn(ops, name)) throw new ExitCodeError(2, `clock: unknown op "${name}"`);
      const which = ops[name as keyof typeof ops];
      const ns = BigInt(Math.round((msArg ?? 0) * 1e6));
      const r = await withClient(cmd, (c) => c.clock(which, ns));
      process.stdout.write(`${r.nowNs}${r.realtime ? ' realtime' : ''}\n`);
    });

  client
    .command('watch')
    .description('print one JSON line per server event until interrupted')
    .option(
      '--events <names>',
      `comma list of ${Object.keys(EventMask).join(',').toLowerCase()}`,
      'pse_lifecycle,phy_irq,link,scenario_step',
    )
    .option('--count <n>', 'exit after this many events', integerArg(1, 1e9))
    .action(async (o: { events: string; count?: number }, cmd: Command) => {
      let mask = 0;
      for (const name of o.events.split(',')) {
        const bit = (EventMask as Record<string, number>)[name.trim().toUpperCase()];
        if (bit === undefined) throw new ExitCodeError(2, `unknown event family "${name}"`);
        mask |= bit;
      }
      const limit = o.count ?? Infinity;
      await withClient(cmd, async (c) => {
        await c.subscribe(mask & ALL_EVENTS);
        let n = 0;
        const stop = () => void c.close();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        for await (const e of c.events()) {
          process.stdout.write(`${eventJson(e)}\n`);
          if (++n >= limit) break;
        }
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      });
    });

  client
    .command('trace')
    .description("print the daemon's record file (serve --record) in the trace format (docs/trace-format.md)")
    .option('--follow', 'keep printing new transactions until interrupted')
    .option('--interval <ms>', 'with --follow: how often to ask for more', integerArg(10, 60_000), 200)
    .action(async (o: { follow?: boolean; interval: number }, cmd: Command) => {
      const interval = o.interval;
      await withClient(cmd, async (c) => {
        let { text, next } = await c.recordingText(0);
        process.stdout.write(text);
        if (!o.follow) return;
        const stopped = { now: false };
        const stop = () => {
          stopped.now = true;
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          while (!stopped.now) {
            await new Promise((resolve) => setTimeout(resolve, interval));
            ({ text, next } = await c.recordingText(next));
            process.stdout.write(text);
          }
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      });
    });

  client
    .command('verify <trace>')
    .description(
      "drive the daemon's models with the recorded requests (after RESET); print each read that differs, exit 1 if any",
    )
    .option('--no-reset', 'drive the models as they are now instead of resetting them first')
    .option('--time-base <base>', 'absolute or first-record (default: absolute for mdio-emu traces)')
    .option('--bus <pairs...>', 'map trace bus names to daemon bus paths, as TRACEBUS=/dt/path')
    .action(async (file: string, o: { reset: boolean; timeBase?: string; bus?: string[] }, cmd: Command) => {
      if (o.timeBase !== undefined && o.timeBase !== 'absolute' && o.timeBase !== 'first-record')
        throw new ExitCodeError(2, '--time-base must be absolute or first-record');
      const trace = readTraceFile(file);
      const timeBase = o.timeBase ?? (trace.format === 'mdio-emu' ? 'absolute' : 'first-record');
      const busMap = o.bus ? new Map(o.bus.map((p) => p.split('=') as [string, string])) : undefined;
      const report = await withClient(cmd, async (c) => {
        try {
          return await verifyThroughClient(c, trace.records, {
            timeBase,
            reset: o.reset,
            ...(busMap ? { busMap } : {}),
          });
        } catch (err) {
          if (err instanceof Error && err.name !== 'RemoteError')
            throw new ExitCodeError(1, `mdio-emu: ${err.message}`);
          throw err;
        }
      });
      for (const d of report.differences)
        process.stdout.write(
          d.error === undefined
            ? `${file}:${formatDifference(d)}\n`
            : `${file}:${d.record.line ?? d.index + 1}: refused by the daemon: ${d.error}\n`,
        );
      process.stdout.write(
        `${report.checked} transactions, ${report.reads} reads, ${report.differences.length} difference(s)\n`,
      );
      if (report.differences.length > 0) throw new ExitCodeError(1);
    });

  client
    .command('replay-status')
    .description('what a replaying daemon (serve --replay) served and which requests it did not foresee')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const s = await withClient(cmd, (c) => c.replayStatus());
      if (o.json) {
        process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${s.mode}: ${s.recorded} recorded, ${s.served} served, ${s.remaining} remaining, ${s.unforeseenTotal} unforeseen\n`,
      );
      for (const u of s.unforeseen)
        process.stdout.write(
          `request ${u.request}${u.client === undefined ? '' : ` from ${u.client}`}: ${u.description}: ${u.reason}\n`,
        );
      const more = s.unforeseenTotal - s.unforeseen.length;
      if (more > 0) process.stdout.write(`... and ${more} more unforeseen request(s) not listed\n`);
    });
}
