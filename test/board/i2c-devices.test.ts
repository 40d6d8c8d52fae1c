import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  buildBoard,
  BoardError,
  CLASSIFICATION_MODE_PROPERTY,
  CLASSIFICATION_PROPERTY,
} from '../../src/board/index.js';
import { ms, VirtualClock } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import { TPS23881_GEN_MASK as GEN_MASK, TPS23881_REG as REG } from '../../src/pse/index.js';

const PSE = '/usb/device@6/i2c/ethernet-pse@20';
const fixture = readFileSync(
  fileURLToPath(new URL('../bindings/fixtures/pse-cp2112-tps23881.dts', import.meta.url)),
  'utf8',
);

/** The fixture with `property` added to the TPS23881 node. */
function boardWith(property: string) {
  const source = fixture.replace('interrupts-extended = <&cp2112 3 8>;', `$&\n${property}`);
  const r = compileDts(source, { fileName: 'cp2112.dts' });
  if (!r.tree) throw new Error(JSON.stringify(r.diagnostics));
  const clock = new VirtualClock();
  return { board: buildBoard(r.tree, { clock }), clock };
}

/**
 * DETECTION EVENT (0x04, read without clearing) after a PD connects on PI 0, channel 0 in semi-auto with
 * detection and classification enabled: bit 0 detection, bit 4 classification (TPS23881 datasheet 9.6.2.3).
 */
function detectionEvents(property: string, afterMs: readonly number[]): number[] {
  const { board, clock } = boardWith(property);
  const bus = board.i2c[0]?.bus;
  if (!bus) throw new Error('no I2C bus');
  const write = (...bytes: number[]) =>
    bus.transfer([{ addr: 0x20, kind: 'write', data: Uint8Array.from(bytes) }]);
  write(REG.OP_MODE, 0x02); // channel 0 semi-auto
  write(REG.DET_CLA_EN, 0x11);
  board.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 3 });
  const start = clock.now();
  return afterMs.map((t) => {
    clock.advanceTo(start + ms(t));
    write(REG.DET_EVENT);
    const r = bus.transfer([{ addr: 0x20, kind: 'read', length: 1 }]);
    return r.reads[0]?.[0] ?? -1;
  });
}

test(`${CLASSIFICATION_PROPERTY} sets the time from detection to the classification result`, (t) => {
  t.deepEqual(detectionEvents(`${CLASSIFICATION_PROPERTY} = <300>;`, [0, 299, 300]), [0x01, 0x01, 0x11]);
  t.deepEqual(detectionEvents(`${CLASSIFICATION_PROPERTY} = <0>;`, [0]), [0x11]);
  // Without it, the board's default (a real port's classification time, 20 ms).
  t.deepEqual(detectionEvents('', [19, 20]), [0x01, 0x11]);
});

test(`${CLASSIFICATION_PROPERTY} that is not one cell is an error naming the node`, (t) => {
  const err = t.throws(() => boardWith(`${CLASSIFICATION_PROPERTY} = <1 2>;`), { instanceOf: BoardError });
  t.is(err.code, 'BOARD1007');
  t.regex(err.message, /one cell of milliseconds/);
});

test(`${CLASSIFICATION_MODE_PROPERTY} = "after-irq" holds the classification until the detection interrupt is serviced`, (t) => {
  const { board, clock } = boardWith(`${CLASSIFICATION_MODE_PROPERTY} = "after-irq";`);
  const bus = board.i2c[0]?.bus;
  const chip = board.i2c[0]?.chips.get(PSE);
  if (!bus || !chip) throw new Error('no TPS23881');
  const write = (...bytes: number[]) =>
    bus.transfer([{ addr: 0x20, kind: 'write', data: Uint8Array.from(bytes) }]);
  const read = (reg: number): number => {
    write(reg);
    return bus.transfer([{ addr: 0x20, kind: 'read', length: 1 }]).reads[0]?.[0] ?? -1;
  };
  write(REG.OP_MODE, 0x02);
  write(REG.DET_CLA_EN, 0x11);
  // Configuration B (16-bit access to both quads, as tps23881.c sets it), DETC and CLASC unmasked in both.
  write(REG.GEN_MASK, GEN_MASK.INTEN | GEN_MASK.NBITACC);
  write(REG.IT_MASK, 0x18, 0x18);
  board.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 3 });
  clock.advance(ms(2000));
  t.true(chip.irq, 'the detection holds INT');
  t.is(
    read(REG.DET_EVENT),
    0x01,
    'no classification while the detection interrupt is pending, even 2 s later',
  );
  t.is(read(REG.DET_EVENT_COR), 0x01, 'the handler reads and clears the detection');
  t.false(chip.irq, 'INT released');
  t.is(read(REG.DET_EVENT), 0x00, 'still held: the handler has not seen INTERRUPT clear yet');
  clock.advance(ms(100));
  t.is(read(REG.DET_EVENT), 0x00);
  t.is(read(REG.IT) & 0x18, 0x00, "the handler's last read: nothing unmasked pending, its loop ends");
  t.is(read(REG.DET_EVENT), 0x10, 'then the classification, in an interrupt of its own');
  t.true(chip.irq);
});

test(`${CLASSIFICATION_MODE_PROPERTY} other than "timed" or "after-irq" is an error`, (t) => {
  const err = t.throws(() => boardWith(`${CLASSIFICATION_MODE_PROPERTY} = "later";`), {
    instanceOf: BoardError,
  });
  t.is(err.code, 'BOARD1007');
});
