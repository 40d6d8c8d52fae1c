import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type Daemon } from '../../emulator/daemon.js';
import { MdioClient } from '../../src/protocol/client.js';
import { ErrorCode, EventMask, RemoteError, type Event } from '../../src/protocol/index.js';

// The daemon's composition (in-process): boards built from device trees, served over UNIX and TCP.
// IDs below are chosen outside the PHY catalogue, so the generic models must answer exactly what the DT says.
const CUSTOM_DTS = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <1>;
	mdio@1000 {
		reg = <0x1000 0x100>;
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-phy@3 { compatible = "ethernet-phy-id1234.5670", "ethernet-phy-ieee802.3-c22"; reg = <3>; };
	};
	mdio@2000 {
		reg = <0x2000 0x100>;
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-phy@0 { compatible = "ethernet-phy-id1234.5680", "ethernet-phy-ieee802.3-c45"; reg = <0>; };
	};
};
`;

async function withDaemon(
  opts: { dts?: string; tcp?: boolean },
  body: (c: MdioClient, d: Daemon, dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-emu-'));
  let dtsFile: string | undefined;
  if (opts.dts !== undefined) {
    dtsFile = join(dir, 'board.dts');
    writeFileSync(dtsFile, opts.dts);
  }
  const d = await startDaemon({
    unix: join(dir, 'emu.sock'),
    ...(dtsFile ? { dts: dtsFile } : {}),
    ...(opts.tcp ? { tcp: { host: '127.0.0.1', port: 0 } } : {}),
  });
  const c = await MdioClient.connect({ unix: join(dir, 'emu.sock') });
  try {
    await body(c, d, dir);
  } finally {
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a --dts board: buses in tree order, C22 and C45 IDs from the compatible strings, TCP on loopback', async (t) => {
  await withDaemon({ dts: CUSTOM_DTS, tcp: true }, async (c, d) => {
    const topo = await c.topology();
    t.deepEqual(
      topo.buses.map((b) => [b.id, b.path]),
      [
        [0, '/mdio@1000'],
        [1, '/mdio@2000'],
      ],
    );
    t.deepEqual(
      topo.buses[0]?.phys.map((p) => [p.addr, p.phyId, p.c45]),
      [[3, 0x12345670, false]],
    );
    // 22.2.4.3.1: PHYSID1 holds ID bits 31..16, PHYSID2 bits 15..0.
    t.is(await c.c22Read(0, 3, 2), 0x1234);
    t.is(await c.c22Read(0, 3, 3), 0x5670);
    t.is(await c.c22Read(0, 4, 2), 0xffff, 'no PHY at 4');
    // 45.2.1.3: PMA/PMD device identifier in 1.2 and 1.3.
    t.is(await c.c45Read(1, 0, 1, 2), 0x1234);
    t.is(await c.c45Read(1, 0, 1, 3), 0x5680);
    const tcp = d.addresses.find((a) => a.kind === 'tcp');
    t.true(tcp?.kind === 'tcp' && tcp.host === '127.0.0.1' && tcp.port > 0);
    if (tcp?.kind === 'tcp') {
      const overTcp = await MdioClient.connect({ host: tcp.host, port: tcp.port });
      t.is(await overTcp.c22Read(0, 3, 2), 0x1234);
      await overTcp.close();
    }
  });
});

test('the default board: the PSE driver loads at 2 s, links come up after autoneg, events say so', async (t) => {
  await withDaemon({}, async (c) => {
    const events: Event[] = [];
    c.on('event', (e) => events.push(e));
    await c.subscribe(EventMask.PSE_LIFECYCLE | EventMask.LINK | EventMask.SCENARIO_STEP);
    const before = await c.pseList();
    t.is(before[0]?.state, 0);
    const early = await t.throwsAsync(c.pseStatus(0, 0), { instanceOf: RemoteError });
    t.is(early.status, ErrorCode.NOT_REGISTERED);
    // 22.2.4.2.13: BMSR bit 2 link status, bit 5 autoneg complete.
    t.is((await c.c22Read(0, 1, 1)) & 0x0024, 0);
    t.is((await c.clock('run', 2_500_000_000n)).nowNs, 2_500_000_000n);
    await c.ping();
    // Link status latches low (22.2.4.2.13): the first read reports the down time since the last read,
    // the second the current state, which is why genphy_update_link() reads BMSR twice.
    t.is((await c.c22Read(0, 1, 1)) & 0x0004, 0);
    t.is((await c.c22Read(0, 1, 1)) & 0x0024, 0x0024);
    const lifecycle = events.find((e) => e.kind === 'ev-pse-lifecycle');
    t.true(
      lifecycle?.kind === 'ev-pse-lifecycle' && lifecycle.state === 1 && lifecycle.timeNs === 2_000_000_000n,
    );
    const step = events.find((e) => e.kind === 'ev-scenario-step');
    t.true(step?.kind === 'ev-scenario-step' && step.name === 'pse-load');
    const links = events.filter((e) => e.kind === 'ev-link');
    // A gigabit switch port partner: 1000BASE-T full duplex is the highest common mode (28B.3).
    t.deepEqual(links.map((e) => [e.bus, e.phy, e.up, e.speed, e.duplex]).sort(), [
      [0, 1, true, 1000, 1],
      [0, 2, true, 1000, 1],
    ]);
    t.is((await c.pseList())[0]?.state, 1);
    await c.pseAdmin(0, 0, true);
    const st = await c.pseStatus(0, 0);
    t.is(st.adminState, 3, 'ETHTOOL_C33_PSE_ADMIN_STATE_ENABLED');
    t.is(st.powerStatus, 3, 'ETHTOOL_C33_PSE_PW_D_STATUS_SEARCHING: enabled, no powered device');
  });
});

test('I2C reaches the TPS23881 at its DT address; other addresses NACK', async (t) => {
  await withDaemon({}, async (c) => {
    const ack = await c.i2cTransfer(0, 0x20, Uint8Array.of(0x43), 1);
    t.is(ack.result, 0);
    t.is(ack.data.length, 1);
    t.is((await c.i2cTransfer(0, 0x21, Uint8Array.of(0), 1)).result, 1);
  });
});

test('RESET rebuilds the board; SCENARIO_LOAD replaces it; bad sources are SCENARIO_ERROR', async (t) => {
  await withDaemon({}, async (c) => {
    await c.clock('run', 3_000_000_000n);
    t.is((await c.pseList())[0]?.state, 1);
    await c.reset();
    t.is((await c.clock('get')).nowNs, 0n);
    t.is((await c.pseList())[0]?.state, 0);

    await c.loadScenario('dts', 'custom.dts', CUSTOM_DTS);
    t.deepEqual(
      (await c.topology()).buses.map((b) => b.path),
      ['/mdio@1000', '/mdio@2000'],
    );
    t.is(await c.c22Read(0, 3, 2), 0x1234);
    t.deepEqual(await c.pseList(), []);
    const bad = await t.throwsAsync(c.loadScenario('dts', 'bad.dts', '/dts-v1/; / { oops'), {
      instanceOf: RemoteError,
    });
    t.is(bad.status, ErrorCode.SCENARIO_ERROR);
    t.is(await c.c22Read(0, 3, 2), 0x1234, 'a failed load keeps the previous board');
    await c.reset();
    t.deepEqual(
      (await c.topology()).buses.map((b) => b.path),
      ['/mdio@1000', '/mdio@2000'],
      'reset rebuilds the loaded source',
    );
  });
});

test('the trace records MDIO frames as the bus saw them', async (t) => {
  await withDaemon({}, async (c) => {
    await c.c22Read(0, 1, 2);
    await c.c22Read(0, 7, 2);
    const { records } = await c.traceFetch(0, 100);
    const reads = records
      .map((r) => JSON.parse(r.json) as { type: string; addr?: number; responded?: boolean })
      .filter((e) => e.type === 'mdio.read');
    t.deepEqual(
      reads.map((e) => [e.addr, e.responded]),
      [
        [1, true],
        [7, false],
      ],
    );
  });
});

test('a --scenario board: its timeline drives the PSE lifecycle on the virtual clock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-scn-'));
  const board = fileURLToPath(new URL('../../dts/default-board.dts', import.meta.url));
  writeFileSync(
    join(dir, 'late.scenario.json'),
    JSON.stringify({
      dts: board,
      timeline: [
        { at: 0, id: 'start', action: 'snapshot' },
        { at: 500, id: 'pse-load', action: 'load-module', module: 'tps23881' },
      ],
      expect: [],
    }),
  );
  const d = await startDaemon({ unix: join(dir, 's.sock'), scenario: join(dir, 'late.scenario.json') });
  const c = await MdioClient.connect({ unix: join(dir, 's.sock') });
  try {
    const events: Event[] = [];
    c.on('event', (e) => events.push(e));
    await c.subscribe(EventMask.PSE_LIFECYCLE | EventMask.SCENARIO_STEP);
    await c.clock('run', 400_000_000n);
    t.is((await c.pseList())[0]?.state, 0);
    await c.clock('run', 200_000_000n);
    t.is((await c.pseList())[0]?.state, 1);
    await c.ping();
    t.deepEqual(
      events.map((e) =>
        e.kind === 'ev-scenario-step'
          ? `step ${e.name}`
          : e.kind === 'ev-pse-lifecycle'
            ? `pse ${e.state} @${e.timeNs}`
            : e.kind,
      ),
      ['step start', 'pse 1 @500000000', 'step load-module:tps23881'],
    );
  } finally {
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('emulator-only scenario actions: PSE registration, PD plug, cable pull and bus faults on the timeline', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-scn-'));
  writeFileSync(
    join(dir, 'world.scenario.json'),
    JSON.stringify({
      dts: fileURLToPath(new URL('../../dts/default-board.dts', import.meta.url)),
      timeline: [
        { at: 100, action: 'pse-register', controller: '/i2c@ff020000/ethernet-pse@20' },
        { at: 200, action: 'pd-plug', controller: '/i2c@ff020000/ethernet-pse@20', port: 1, class: 3 },
        { at: 2000, id: 'pull', action: 'link-down', phy: '/mdio@ff0d0000/ethernet-phy@2' },
        { at: 2100, action: 'phy-fault', phy: '/mdio@ff0d0000/ethernet-phy@1', fault: 'no-response' },
      ],
      expect: [],
    }),
  );
  const d = await startDaemon({ unix: join(dir, 's.sock'), scenario: join(dir, 'world.scenario.json') });
  const c = await MdioClient.connect({ unix: join(dir, 's.sock') });
  try {
    const events: Event[] = [];
    c.on('event', (e) => events.push(e));
    await c.subscribe(EventMask.LINK | EventMask.SCENARIO_STEP);
    await c.clock('run', 300_000_000n);
    t.is((await c.pseList())[0]?.state, 1);
    await c.pseAdmin(0, 1, true);
    t.is((await c.pseStatus(0, 1)).powerStatus, 4, 'a class 3 PD on an enabled PI is powered: DELIVERING');
    t.not(await c.c22Read(0, 1, 2), 0xffff);
    await c.clock('run', 2_000_000_000n);
    await c.ping();
    const phy2 = events
      .filter((e) => e.kind === 'ev-link' && e.phy === 2)
      .map((e) => e.kind === 'ev-link' && e.up);
    t.deepEqual(phy2, [true, false], 'up after autoneg, down when the cable is pulled');
    t.true(events.some((e) => e.kind === 'ev-scenario-step' && e.name === 'pull'));
    t.is(await c.c22Read(0, 1, 2), 0xffff, 'a PHY that stops driving MDIO reads as all ones');
  } finally {
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
