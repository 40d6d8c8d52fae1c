import test from 'ava';
import { statSync } from 'node:fs';
import { ErrorCode, EventMask, RemoteError, encodeFrame, type Event } from '../../src/protocol/index.js';
import { RawPeer, startLive } from './harness.js';

test('handshake reports version, capabilities and the server maximum frame', async (t) => {
  const live = await startLive({ serverName: 'unit', maxFrame: 8192 });
  const c = await live.connect();
  t.is(c.server.version, 1);
  t.is(c.server.name, 'unit');
  t.is(c.server.maxFrame, 8192);
  t.not(c.server.capabilities & 1, 0, 'C22 capability');
  await live.close();
});

test('UNIX socket is created with mode 0600', async (t) => {
  const live = await startLive();
  t.is(statSync(live.path).mode & 0o777, 0o600);
  await live.close();
});

test('Clause 22 read/write and empty addresses read 0xffff', async (t) => {
  const live = await startLive();
  const c = await live.connect();
  t.is(await c.c22Read(0, 1, 2), 0x0141);
  t.is(await c.c22Read(0, 1, 3), 0x0dd1);
  t.is(await c.c22Read(0, 9, 2), 0xffff);
  await c.c22Write(0, 1, 0, 0x0140);
  t.is(await c.c22Read(0, 1, 0), 0x0140);
  await live.close();
});

test('Clause 45, batch, I2C, PSE and control requests reach the backend', async (t) => {
  const live = await startLive();
  const c = await live.connect();
  t.is(await c.c45Read(1, 4, 1, 2), 0x002b);
  await c.c45Write(1, 4, 7, 0x10, 0x0de1);
  t.is(live.backend.c45.get('1/4/7/16'), 0x0de1);

  const results = await c.batch([
    { op: 'c22-read', bus: 0, phy: 1, reg: 2 },
    { op: 'c22-write', bus: 0, phy: 1, reg: 0, value: 0x1000 },
    { op: 'c22-read', bus: 7, phy: 1, reg: 2 },
    { op: 'c45-read', bus: 1, port: 4, devad: 1, reg: 2 },
  ]);
  t.deepEqual(results, [
    { value: 0x0141, status: 0 },
    { value: 0, status: 0 },
    { value: 0, status: ErrorCode.NO_SUCH_BUS },
    { value: 0x002b, status: 0 },
  ]);

  const ack = await c.i2cTransfer(0, 0x20, Uint8Array.of(0x0f), 2);
  t.is(ack.result, 0);
  t.deepEqual([...ack.data], [0xf0, 0xf0]);
  t.is((await c.i2cTransfer(0, 0x21, Uint8Array.of(0), 1)).result, 1, 'address NACK');

  const list = await c.pseList();
  t.is(list[0]?.state, 0, 'unregistered before the driver loads');
  const notYet = await t.throwsAsync(c.pseStatus(0, 0), { instanceOf: RemoteError });
  t.is(notYet.status, ErrorCode.NOT_REGISTERED);
  await c.trigger('pse-load');
  t.is((await c.pseList())[0]?.state, 1);
  await c.pseAdmin(0, 1, true);
  const st = await c.pseStatus(0, 1);
  t.is(st.adminState, 3, 'ETHTOOL_C33_PSE_ADMIN_STATE_ENABLED');
  t.is(st.powerStatus, 4, 'ETHTOOL_C33_PSE_PW_D_STATUS_DELIVERING');

  const topo = await c.topology();
  t.deepEqual(
    topo.buses.map((b) => b.path),
    ['/soc/mdio@1000', '/soc/mdio@2000'],
  );

  await c.loadScenario('dts', 'x.dts', '/dts-v1/; / {};');
  t.is(live.backend.loaded[0]?.kind, 'dts');
  const bad = await t.throwsAsync(c.loadScenario('scenario', 's', 'syntax error'), {
    instanceOf: RemoteError,
  });
  t.is(bad.status, ErrorCode.SCENARIO_ERROR);

  t.is((await c.clock('run', 1500n)).nowNs, 1500n);
  t.is((await c.clock('step')).nowNs, 2500n);
  t.true((await c.clock('realtime-on')).realtime);

  const before = (await c.traceFetch(0, 1000)).records.length;
  t.true(before > 0);
  const fetched = await c.traceFetch(0, 2);
  t.is(fetched.records.length, 2);
  t.is(fetched.next, (fetched.records[1]?.seq ?? NaN) + 1);
  t.is((JSON.parse(fetched.records[0]?.json ?? '{}') as { type?: string }).type, 'mdio.read');

  await c.reset();
  t.is((await c.pseList())[0]?.state, 0);
  t.deepEqual([...(await c.ping(Uint8Array.of(9, 8)))], [9, 8]);
  await live.close();
});

test('request errors come back as ERROR frames and the connection stays usable', async (t) => {
  const live = await startLive();
  const c = await live.connect();
  const e1 = await t.throwsAsync(c.c22Read(5, 1, 1), { instanceOf: RemoteError });
  t.is(e1.status, ErrorCode.NO_SUCH_BUS);
  t.is(e1.requestType, 0x0010);
  const e2 = await t.throwsAsync(c.c22Read(0, 32, 1), { instanceOf: RemoteError });
  t.is(e2.status, ErrorCode.BAD_ADDRESS);
  const e3 = await t.throwsAsync(c.c45Read(0, 1, 32, 0), { instanceOf: RemoteError });
  t.is(e3.status, ErrorCode.BAD_ADDRESS);
  const e4 = await t.throwsAsync(c.trigger('nope'), { instanceOf: RemoteError });
  t.is(e4.status, ErrorCode.NO_SUCH_EVENT);
  const e5 = await t.throwsAsync(c.i2cTransfer(0, 0x80, Uint8Array.of(), 0), { instanceOf: RemoteError });
  t.is(e5.status, ErrorCode.BAD_ADDRESS);
  t.is(await c.c22Read(0, 1, 2), 0x0141);
  await live.close();
});

test('pipelined requests all complete, replies match tags, and order is request order', async (t) => {
  const live = await startLive();
  const c = await live.connect();
  const reads = Array.from({ length: 2000 }, (_, i) => c.c22Read(0, i % 2 === 0 ? 1 : 9, 2));
  const values = await Promise.all(reads);
  t.true(values.every((v, i) => v === (i % 2 === 0 ? 0x0141 : 0xffff)));

  // Write then read pipelined in one burst: the read must see the write (requests run in order).
  const w = c.c22Write(0, 1, 0, 0x2100);
  const r = c.c22Read(0, 1, 0);
  await w;
  t.is(await r, 0x2100);

  const peer = await RawPeer.ready(live.path);
  const burst = Buffer.concat([
    encodeFrame(30, { kind: 'c22-read', bus: 0, phy: 1, reg: 2 }),
    encodeFrame(10, { kind: 'c22-read', bus: 7, phy: 1, reg: 2 }),
    encodeFrame(20, { kind: 'c22-read', bus: 0, phy: 1, reg: 3 }),
  ]);
  peer.send(burst);
  await peer.until((f) => f.length === 3);
  t.deepEqual(
    peer.frames.map((f) => f.tag),
    [30, 10, 20],
  );
  t.deepEqual(
    peer.frames.map((f) => f.message.kind),
    ['c22-read-reply', 'error', 'c22-read-reply'],
  );
  peer.destroy();
  await live.close();
});

test('subscribed clients receive each event family; unsubscribed ones do not', async (t) => {
  const live = await startLive();
  const watcher = await live.connect('watcher');
  const quiet = await live.connect('quiet');
  const actor = await live.connect('actor');
  t.is(
    await watcher.subscribe(
      EventMask.PSE_LIFECYCLE | EventMask.LINK | EventMask.PHY_IRQ | EventMask.SCENARIO_STEP,
    ),
    0x0f,
  );
  const got: Event[] = [];
  const quietGot: Event[] = [];
  watcher.on('event', (e) => got.push(e));
  quiet.on('event', (e) => quietGot.push(e));
  await actor.trigger('pse-load');
  await actor.trigger('link-down');
  await actor.trigger('step');
  await actor.c22Read(0, 1, 1); // a trace event, not subscribed
  await watcher.ping();
  t.deepEqual(
    got.map((e) => e.kind),
    ['ev-pse-lifecycle', 'ev-link', 'ev-phy-irq', 'ev-scenario-step'],
  );
  const lifecycle = got[0];
  t.true(
    lifecycle?.kind === 'ev-pse-lifecycle' &&
      lifecycle.state === 1 &&
      lifecycle.path === '/soc/i2c@3000/pse@20',
  );
  t.is(quietGot.length, 0);

  await watcher.subscribe(EventMask.TRACE);
  got.length = 0;
  await actor.c22Read(0, 1, 1);
  await watcher.ping();
  t.is(got.length, 1);
  t.true(
    got[0]?.kind === 'ev-trace' && (JSON.parse(got[0].record.json) as { type?: string }).type === 'mdio.read',
  );

  await watcher.subscribe(0);
  t.is(live.backend.listenerCount, 0, 'unsubscribing releases the backend listener');
  await live.close();
});

test('several concurrent clients see one consistent emulation', async (t) => {
  const live = await startLive();
  const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => live.connect(`c${i}`)));
  // Each client writes its own value then reads back through a batch (atomic): nobody sees a torn state.
  await Promise.all(
    clients.map(async (c, i) => {
      for (let k = 0; k < 50; k++) {
        const [, read] = await c.batch([
          { op: 'c22-write', bus: 0, phy: 1, reg: 0, value: i * 100 + k },
          { op: 'c22-read', bus: 0, phy: 1, reg: 0 },
        ]);
        if (read?.value !== i * 100 + k) t.fail(`client ${i} saw ${read?.value}`);
      }
    }),
  );
  const last = await clients[0]?.c22Read(0, 1, 0);
  const all = await Promise.all(clients.map((c) => c.c22Read(0, 1, 0)));
  t.true(all.every((v) => v === last));
  t.is(live.server.connectionCount, 8);
  await live.close();
});

test('a client connection closing rejects its in-flight requests', async (t) => {
  const live = await startLive();
  const c = await live.connect();
  await live.server.close();
  await t.throwsAsync(c.c22Read(0, 1, 2));
  await live.close();
});
