import test from 'ava';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvusbAdapter } from '../../src/usbredir/devices/mvusb.js';
import { SimpleClause22Bus, marvellLikePhy } from '../../src/usbredir/devices/simple-c22-bus.js';
import { connectUsbredir, listenUsbredir } from '../../src/usbredir/transport.js';
import { FakeGuest, only } from './fake-guest.js';

const device = () => new MvusbAdapter(new SimpleClause22Bus([marvellLikePhy(0)]));

/** A guest on a real socket; resolves `until` once the predicate holds on what it received. */
function socketGuest(socket: net.Socket) {
  const guest = new FakeGuest((b) => socket.write(b));
  const seen: string[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    guest.feed(chunk);
    for (const p of guest.received) seen.push(p.type);
    waiter?.();
  });
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve) => {
      if (pred()) return resolve();
      waiter = () => {
        if (pred()) resolve();
      };
    });
  return { guest, seen, until };
}

async function exercise(t: import('ava').ExecutionContext, socket: net.Socket) {
  const { guest, until } = socketGuest(socket);
  await until(() => guest.received.some((p) => p.type === 'hello'));
  guest.hello();
  await until(() => guest.received.some((p) => p.type === 'device_connect'));
  guest.take();
  const read = Uint8Array.of(0x00, 0xe8, 0x01, 0x00, 0x02 | 0x00, 0xa4);
  guest.bulkOut(1n, 0x02, read);
  guest.bulkIn(2n, 0x86, 2);
  await until(() => only(guest.received, 'bulk_packet').length === 2);
  t.deepEqual([...(only(guest.received, 'bulk_packet')[1]?.data ?? [])], [0x41, 0x01]);
  t.deepEqual(guest.errors, []);
  return { guest, until };
}

test('listen on a UNIX socket (QEMU connects)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'usbredir-'));
  try {
    const server = await listenUsbredir(device(), { path: join(dir, 'redir.sock') });
    const socket = net.createConnection(join(dir, 'redir.sock'));
    await exercise(t, socket);
    socket.destroy();
    await server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('listen on loopback TCP, detach/attach through the server, reconnect gets the device again', async (t) => {
  const server = await listenUsbredir(device(), { port: 0 });
  t.true(typeof server.address === 'number' && server.address > 0);
  const first = net.createConnection(server.address as number, '127.0.0.1');
  const { guest, until } = await exercise(t, first);
  server.detach();
  await until(() => guest.received.some((p) => p.type === 'device_disconnect'));
  guest.send({ type: 'device_disconnect_ack', id: 0n });
  guest.take();
  server.attach();
  await until(() => guest.received.some((p) => p.type === 'device_connect'));
  first.destroy();
  await new Promise((r) => setTimeout(r, 20));
  const second = net.createConnection(server.address as number, '127.0.0.1');
  await exercise(t, second);
  second.destroy();
  await server.close();
});

test('connect to a listening QEMU (server=on), over TCP', async (t) => {
  let accepted: net.Socket | undefined;
  const qemu = net.createServer((s) => (accepted = s));
  await new Promise<void>((r) => qemu.listen(0, '127.0.0.1', r));
  const port = (qemu.address() as net.AddressInfo).port;
  const pendingSocket = new Promise<net.Socket>((resolve) => qemu.once('connection', resolve));
  const link = await connectUsbredir(device(), { port });
  await exercise(t, accepted ?? (await pendingSocket));
  await link.close();
  await new Promise((r) => qemu.close(r));
});
