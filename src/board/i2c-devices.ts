import { cellsOf, getProperty, nodePath, stringsOf, walk, type DtNode } from '../dts/tree.js';
import { Eeprom24c02, I2cBus, type I2cDevice, type I2cTraceSink } from '../i2c/index.js';
import { ms, type Clock } from '../clock.js';
import { Tps23881, type ControllerLifecycle } from '../pse/index.js';
import { BoardError, BoardErrorCode } from './errors.js';

/**
 * Property of an EEPROM node giving the model's initial bytes (the rest reads erased, 0xff). Linux ignores
 * it; it is how a board seeds the contents a client or guest must read back.
 */
export const EEPROM_CONTENTS_PROPERTY = 'mdio-emu,contents';

/**
 * Property of a TPS23881 node: milliseconds from a valid detection to the classification result (one cell),
 * instead of the board's default. Linux ignores it. A run that wants detection and classification to reach
 * the driver in one interrupt sets 0; one that wants them apart sets more than the interrupt latency.
 */
export const CLASSIFICATION_PROPERTY = 'mdio-emu,classification-ms';

/**
 * Property of a TPS23881 node: `"after-irq"` holds each classification result until the host has serviced
 * the detection's interrupt (the INT pin released), so the two reach the driver in separate interrupts however
 * late the host is; `"timed"` (the default) reports it `mdio-emu,classification-ms` after detection.
 */
export const CLASSIFICATION_MODE_PROPERTY = 'mdio-emu,classification';

/** I2C device compatibles with a model: ti,tps23881.yaml (both variants) and at24.yaml's 24C02. */
const TPS23881_COMPATIBLES: readonly string[] = ['ti,tps23881', 'ti,tps23881b'];
const EEPROM_COMPATIBLE = 'atmel,24c02';

export interface BoardI2cDevice {
  /** 7-bit address, the node's `reg`. */
  readonly addr: number;
  readonly path: string;
  readonly compatible: string;
}

export interface BoardI2cBus {
  /** Path of the bus node: the parent of its device nodes (of_i2c_register_devices() walks the adapter's children). */
  readonly path: string;
  readonly bus: I2cBus;
  readonly devices: BoardI2cDevice[];
  /** EEPROM models on this bus, by node path. */
  readonly eeproms: ReadonlyMap<string, Eeprom24c02>;
  /** TPS23881 register-level PSE chips on this bus, by node path. */
  readonly chips: ReadonlyMap<string, Tps23881>;
}

const compatibles = (n: DtNode): string[] => {
  const p = getProperty(n, 'compatible');
  return p ? stringsOf(p.value) : [];
};

/** of_device_is_available(): no status, or "okay"/"ok". */
export function isAvailable(n: DtNode): boolean {
  const s = getProperty(n, 'status');
  const v = s ? stringsOf(s.value)[0] : undefined;
  return v === undefined || v === 'okay' || v === 'ok';
}

/**
 * Every modelled I2C device in the tree, on a bus per parent node, in tree order: TPS23881 PSE controllers
 * (present on the bus while their lifecycle says so) and 24C02 EEPROMs. A TPS23881 without a lifecycle
 * (disabled controller) is not placed.
 */
export interface I2cBuildOptions {
  /** Each I2C bus's transfers, for the board's event stream. */
  traceFor?: (busPath: string) => (xfer: I2cTransferRecord) => void;
  /** The TPS23881s' clock (fault cool-down, the classification delay below). */
  clock?: Clock;
  /**
   * TPS23881: time from a valid detection to its classification result. Linux 7.2's pse_core drops a
   * classification reported in the same interrupt as its detection (pse_set_config_isr() tests the event
   * mask against PSE_BUDGET_EVAL_STRAT_DYNAMIC, which has the value of the detection event): a delay longer
   * than the interrupt latency keeps them apart, as a real chip's classification time (tens of ms) does.
   */
  classificationDelayNs?: number;
}

export function buildI2cBuses(
  root: DtNode,
  tpsLifecycle: (path: string) => ControllerLifecycle | undefined,
  options: I2cBuildOptions = {},
): BoardI2cBus[] {
  const { traceFor } = options;
  const buses = new Map<
    string,
    BoardI2cBus & { eeproms: Map<string, Eeprom24c02>; chips: Map<string, Tps23881> }
  >();
  walk(root, (node) => {
    if (!isAvailable(node) || !node.parent) return;
    const compat = compatibles(node);
    const tps = compat.find((c) => TPS23881_COMPATIBLES.includes(c));
    const eeprom = compat.includes(EEPROM_COMPATIBLE);
    if (tps === undefined && !eeprom) return;
    const path = nodePath(node);
    const regCells = getProperty(node, 'reg');
    const address = regCells && regCells.value.bytes.length === 4 ? cellsOf(regCells.value)[0] : undefined;
    let device: I2cDevice;
    if (tps !== undefined) {
      const lifecycle = tpsLifecycle(path);
      if (!lifecycle) return;
      const classificationDelayNs = classificationDelay(node) ?? options.classificationDelayNs;
      const classifyAfterInterrupt = classificationMode(node) === 'after-irq';
      device = new Tps23881({
        variant: tps === 'ti,tps23881b' ? 'tps23881b' : 'tps23881',
        isPresent: () => lifecycle.isPresent(),
        ...(address === undefined ? {} : { address }),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(classificationDelayNs === undefined ? {} : { classificationDelayNs }),
        ...(classifyAfterInterrupt ? { classifyAfterInterrupt } : {}),
      });
    } else {
      const contents = getProperty(node, EEPROM_CONTENTS_PROPERTY);
      device = new Eeprom24c02(contents ? Uint8Array.from(contents.value.bytes) : undefined);
    }
    const reg = getProperty(node, 'reg');
    const addr = reg && reg.value.bytes.length === 4 ? cellsOf(reg.value)[0] : undefined;
    if (addr === undefined)
      throw new BoardError(
        BoardErrorCode.I2C_ADDRESS,
        node,
        'an I2C device needs reg = <address> (one cell)',
        reg,
      );
    const busPath = nodePath(node.parent);
    let bus = buses.get(busPath);
    if (!bus) {
      bus = {
        path: busPath,
        bus: new I2cBus(traceFor ? transfers(traceFor(busPath)) : undefined),
        devices: [],
        eeproms: new Map(),
        chips: new Map(),
      };
      buses.set(busPath, bus);
    }
    try {
      bus.bus.attach(addr, device);
    } catch (err) {
      throw new BoardError(BoardErrorCode.I2C_ADDRESS, node, (err as Error).message, reg);
    }
    bus.devices.push({ addr, path, compatible: tps ?? EEPROM_COMPATIBLE });
    if (device instanceof Eeprom24c02) bus.eeproms.set(path, device);
    if (device instanceof Tps23881) bus.chips.set(path, device);
  });
  return [...buses.values()];
}

function classificationDelay(node: DtNode): number | undefined {
  const prop = getProperty(node, CLASSIFICATION_PROPERTY);
  if (!prop) return undefined;
  const value = prop.value.bytes.length === 4 ? cellsOf(prop.value)[0] : undefined;
  if (value === undefined)
    throw new BoardError(
      BoardErrorCode.CLASSIFICATION_TIME,
      node,
      `${CLASSIFICATION_PROPERTY} is one cell of milliseconds`,
      prop,
    );
  return ms(value);
}

function classificationMode(node: DtNode): 'timed' | 'after-irq' {
  const prop = getProperty(node, CLASSIFICATION_MODE_PROPERTY);
  if (!prop) return 'timed';
  const [value, ...rest] = stringsOf(prop.value);
  if ((value === 'timed' || value === 'after-irq') && rest.length === 0) return value;
  throw new BoardError(
    BoardErrorCode.CLASSIFICATION_TIME,
    node,
    `${CLASSIFICATION_MODE_PROPERTY} is "timed" or "after-irq"`,
    prop,
  );
}

/** One transfer as the board's event stream reports it: every byte written, every byte read, and whether all messages were ACKed. */
export interface I2cTransferRecord {
  addr: number;
  write: number[];
  read: number[];
  ok: boolean;
}

/** Folds the bus's per-message trace into one record per transfer, closed by its STOP. */
function transfers(emit: (xfer: I2cTransferRecord) => void): I2cTraceSink {
  let open: I2cTransferRecord | undefined;
  return (e) => {
    if (e.type === 'i2c.stop') {
      if (open) emit(open);
      open = undefined;
      return;
    }
    open ??= { addr: e.addr, write: [], read: [], ok: true };
    if (e.type === 'i2c.nack') open.ok = false;
    else for (const b of e.data) (e.type === 'i2c.write' ? open.write : open.read).push(b);
  };
}
