/**
 * The SRAM and parity images Linux's tps23881 driver downloads into a TPS23881 (not the B variant, which runs
 * its ROM code). tps23881_flash_sram_fw_part() request_firmware()s each file and streams its bytes, one SMBus
 * byte write each, into SRAM_DATA after the preparation writes: the files are raw, with no header the driver
 * parses. TI's images are not redistributable, so mdio-emu generates stand-ins of its own, deterministic so
 * that the guest's /lib/firmware and the model agree; the model checks that what arrived is what the files
 * hold, byte for byte, and enters safe mode (FWREV 0xff, "Device entered safe mode") when it is not.
 */

/** tps23881_info[TPS23881].fw_parity_name / fw_sram_name, relative to the firmware search path. */
export const TPS23881_FIRMWARE_FILES = {
  parity: 'ti/tps23881/tps23881-parity-14.bin',
  sram: 'ti/tps23881/tps23881-sram-14.bin',
} as const;

export interface Tps23881FirmwareImages {
  readonly parity: Uint8Array;
  readonly sram: Uint8Array;
  /** FWREV once the SRAM code runs: 14, as the file names say. */
  readonly revision: number;
}

export interface Tps23881FirmwareOptions {
  /**
   * Image sizes in bytes. Every byte costs the guest one SMBus write (three USB transactions through a
   * CP2112), so the defaults are far smaller than TI's real images; they only need to be checkable.
   */
  readonly parityBytes?: number;
  readonly sramBytes?: number;
  readonly revision?: number;
}

const DEFAULT_PARITY_BYTES = 128;
const DEFAULT_SRAM_BYTES = 512;

/** The stand-in images: an ASCII tag naming the part, then xorshift32 bytes from a per-image seed. */
export function generateTps23881Firmware(options: Tps23881FirmwareOptions = {}): Tps23881FirmwareImages {
  const revision = options.revision ?? 14;
  return {
    parity: image(
      `mdio-emu tps23881 parity r${revision}\n`,
      options.parityBytes ?? DEFAULT_PARITY_BYTES,
      0x9a417e01,
    ),
    sram: image(`mdio-emu tps23881 sram r${revision}\n`, options.sramBytes ?? DEFAULT_SRAM_BYTES, 0x5a3e0c0d),
    revision,
  };
}

function image(tag: string, size: number, seed: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`firmware image size ${size} is not a positive integer`);
  const out = new Uint8Array(size);
  const head = new TextEncoder().encode(tag);
  out.set(head.subarray(0, size));
  let x = seed >>> 0;
  for (let i = head.length; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Where a downloaded image first differs from the expected one, or undefined when they are equal. */
export function firstDifference(expected: Uint8Array, got: Uint8Array): number | undefined {
  const n = Math.min(expected.length, got.length);
  for (let i = 0; i < n; i++) if (expected[i] !== got[i]) return i;
  return expected.length === got.length ? undefined : n;
}
