import test from 'ava';
import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../cli/phy.js';

const DTS = `/dts-v1/;
/ { mdio { #address-cells = <1>; #size-cells = <0>;
  ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd0"; reg = <1>; };
  ethernet-phy@2 { compatible = "ethernet-phy-ieee802.3-c45"; reg = <2>; }; }; };
`;

async function run(...args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'phy-cli-'));
  const file = join(dir, 'board.dts');
  writeFileSync(file, DTS);
  const program = new Command('mdio-emu').exitOverride();
  register(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string) => {
    out += chunk;
    return true;
  };
  try {
    await program.parseAsync(['node', 'mdio-emu', 'phy', ...args.map((a) => (a === 'FILE' ? file : a))]);
  } finally {
    process.stdout.write = write;
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

test.serial('phy list prints bus path, address, ID and model', async (t) => {
  t.is(
    await run('list', 'FILE'),
    '/mdio\t1\t0x01410dd0\tc22\tmarvell-88e1510\n/mdio\t2\t0x00000000\tc45\tgeneric-c45\n',
  );
  const json = JSON.parse(await run('list', 'FILE', '--json')) as {
    phys: { bus: string; address: number; model: string }[];
  };
  t.deepEqual(
    json.phys.map((p) => [p.bus, p.address, p.model]),
    [
      ['/mdio', 1, 'marvell-88e1510'],
      ['/mdio', 2, 'generic-c45'],
    ],
  );
});

test.serial('phy dump prints reset values with mnemonics, pages and MMDs', async (t) => {
  const out = await run('dump', 'FILE', '/mdio', '1');
  const lines = out.split('\n');
  t.is(lines[0], '# /mdio/ethernet-phy@1: marvell-88e1510, ID 0x01410dd0');
  // 88E1510 copper BMCR after reset: AN enabled, 1000, full duplex (0x1140); PHYID2 0x0dd0
  t.regex(out, /page 0x00 0x00 BMCR +0x1140/);
  t.regex(out, /page 0x00 0x03 PHYID2 +0x0dd0/);
  t.regex(out, /:mmd7 0x3c EEE_ADV +0x0006/);
});
