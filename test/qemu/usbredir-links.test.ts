import test from 'ava';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runArgs } from '../../src/qemu/machine.js';
import { QemuUsbredirLinks, waitingPath } from '../../src/qemu/usbredir-links.js';
import { MvusbAdapter } from '../../src/usbredir/devices/mvusb.js';
import { SimpleClause22Bus, marvellLikePhy } from '../../src/usbredir/devices/simple-c22-bus.js';
import { FakeGuest, only } from '../usbredir/fake-guest.js';

// QEMU 7.2's own line for `-chardev socket,id=ur0,path=...,server=on,wait=on`, copied from its stderr.
const qemuSays = (path: string): string =>
  `qemu-system-aarch64: -chardev socket,id=ur0,path=${path},server=on,wait=on: info: QEMU waiting for connection on: disconnected:unix:${path},server=on\n`;

test('the socket path of QEMU waiting for its usb-redir client, and nothing from other lines', (t) => {
  t.is(waitingPath(qemuSays('/x/y/usb0.sock')), '/x/y/usb0.sock');
  t.is(waitingPath('qemu-system-aarch64: warning: host doesnt support requested feature'), undefined);
  t.is(waitingPath('QEMU waiting for connection on: disconnected:tcp:127.0.0.1:4444,server=on'), undefined);
});

test('QEMU listens and waits: server=on,wait=on on the chardev only when asked', (t) => {
  const args = runArgs({
    kernel: 'k',
    initrd: 'i',
    dtb: 'd',
    append: '',
    usb: [
      { id: '0', socketPath: '/s/0', port: 1, qemuListens: true },
      { id: '1', socketPath: '/s/1', port: 2 },
    ],
  });
  t.true(args.includes('socket,id=ur0,path=/s/0,server=on,wait=on'));
  t.true(args.includes('socket,id=ur1,path=/s/1'));
});

test('connects when QEMU says it waits, in pieces; a detach before that keeps the device unplugged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-links-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const paths = [join(dir, 'a.sock'), join(dir, 'b.sock')];
  const accepted = new Map<string, Promise<net.Socket>>();
  const qemus = paths.map((p) => {
    const server = net.createServer();
    accepted.set(p, new Promise((resolve) => server.once('connection', resolve)));
    return new Promise<net.Server>((resolve) => server.listen(p, () => resolve(server)));
  });
  const servers = await Promise.all(qemus);
  const device = () => new MvusbAdapter(new SimpleClause22Bus([marvellLikePhy(0)]));
  const errors: string[] = [];
  const links = new QemuUsbredirLinks(
    paths.map((socketPath) => ({ socketPath, device: device() })),
    (path, e) => errors.push(`${path}: ${e.message}`),
  );
  links.links[1]?.detach();
  t.false(links.links[0]?.connected);
  const line = qemuSays(paths[0] ?? '') + qemuSays(paths[1] ?? '');
  links.stderr(line.slice(0, 40));
  links.stderr(line.slice(40, 200));
  links.stderr(line.slice(200));

  const guestOn = async (path: string) => {
    const socket = await (accepted.get(path) ?? Promise.reject(new Error('no server')));
    const guest = new FakeGuest((b) => socket.write(b));
    let wake: (() => void) | undefined;
    socket.on('data', (c: Buffer) => {
      guest.feed(c);
      wake?.();
    });
    const until = (pred: () => boolean) =>
      new Promise<void>((resolve) => {
        wake = () => pred() && resolve();
        wake();
      });
    await until(() => guest.received.some((p) => p.type === 'hello'));
    guest.hello();
    return { guest, until };
  };
  const a = await guestOn(paths[0] ?? '');
  await a.until(() => a.guest.received.some((p) => p.type === 'device_connect'));
  a.guest.take();
  a.guest.bulkOut(1n, 0x02, Uint8Array.of(0x00, 0xe8, 0x01, 0x00, 0x03, 0xa4));
  a.guest.bulkIn(2n, 0x86, 2);
  await a.until(() => only(a.guest.received, 'bulk_packet').length === 2);
  t.deepEqual([...(only(a.guest.received, 'bulk_packet')[1]?.data ?? [])], [0xd1, 0x0d]);

  const b = await guestOn(paths[1] ?? '');
  // Its hello is answered with nothing: the device stays unplugged until attach().
  await new Promise((r) => setTimeout(r, 50));
  t.false(b.guest.received.some((p) => p.type === 'device_connect'));
  links.links[1]?.attach();
  await b.until(() => b.guest.received.some((p) => p.type === 'device_connect'));
  t.true(links.links[1]?.connected);
  t.deepEqual(errors, []);
  await links.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
