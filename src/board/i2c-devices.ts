import { cellsOf, getProperty, nodePath, stringsOf, walk, type DtNode } from '../dts/tree.js';
import { Eeprom24c02, I2cBus, type I2cDevice } from '../i2c/index.js';
import { Tps23881, type ControllerLifecycle } from '../pse/index.js';
import { BoardError, BoardErrorCode } from './errors.js';

/**
 * Property of an EEPROM node giving the model's initial bytes (the rest reads erased, 0xff). Linux ignores
 * it; it is how a board seeds the contents a client or guest must read back.
 */
export const EEPROM_CONTENTS_PROPERTY = 'mdio-emu,contents';

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
export function buildI2cBuses(
  root: DtNode,
  tpsLifecycle: (path: string) => ControllerLifecycle | undefined,
): BoardI2cBus[] {
  const buses = new Map<string, BoardI2cBus & { eeproms: Map<string, Eeprom24c02> }>();
  walk(root, (node) => {
    if (!isAvailable(node) || !node.parent) return;
    const compat = compatibles(node);
    const tps = compat.find((c) => TPS23881_COMPATIBLES.includes(c));
    const eeprom = compat.includes(EEPROM_COMPATIBLE);
    if (tps === undefined && !eeprom) return;
    const path = nodePath(node);
    let device: I2cDevice;
    if (tps !== undefined) {
      const lifecycle = tpsLifecycle(path);
      if (!lifecycle) return;
      device = new Tps23881({
        variant: tps === 'ti,tps23881b' ? 'tps23881b' : 'tps23881',
        isPresent: () => lifecycle.isPresent(),
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
      bus = { path: busPath, bus: new I2cBus(), devices: [], eeproms: new Map() };
      buses.set(busPath, bus);
    }
    try {
      bus.bus.attach(addr, device);
    } catch (err) {
      throw new BoardError(BoardErrorCode.I2C_ADDRESS, node, (err as Error).message, reg);
    }
    bus.devices.push({ addr, path, compatible: tps ?? EEPROM_COMPATIBLE });
    if (device instanceof Eeprom24c02) bus.eeproms.set(path, device);
  });
  return [...buses.values()];
}
