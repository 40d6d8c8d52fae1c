/**
 * The one code space. Every code is a registered prefix followed by digits; a prefix belongs to one input
 * language or layer, and the digits are that owner's business (its own table of codes). test/diagnostics
 * checks that every code in the sources has a registered prefix, so two owners cannot collide.
 */
export const CODE_PREFIXES = {
  /** Device-tree source: preprocessor (DTS5xxx), scanner/parser (DTS1xxx), checks (DTS2xxx-4xxx), DTB. */
  DTS: 'device-tree compiler (src/dts)',
  /** PSE controller and `pses` bindings (PSE1xxx); PSE models and their inputs, powered devices (PSE2xxx). */
  PSE: 'PSE bindings and models (src/bindings/pse.ts, src/pse)',
  /** MDIO bus API misuse (MDIO0xx) and MDIO bus/PHY bindings (MDIO1xxx). */
  MDIO: 'MDIO bus and bindings (src/mdio, src/bindings/mdio.ts)',
  I2C: 'I2C buses and devices (src/i2c)',
  BOARD: 'board composition (src/board)',
  SCN: 'scenario files (src/scenario)',
  TRC: 'trace files (src/replay)',
  /** The socket protocol; the digits are the ERROR frame's status in hex (docs/protocol.md). */
  WIRE: 'socket protocol (src/protocol)',
  USB: 'usbredir protocol (src/usbredir)',
  QEMU: 'QEMU guest runs (src/qemu)',
  KRN: 'guest kernels: specs, sources, configs, builds (src/qemu/kernel*.ts)',
  /** LAVA run specs and worker (LAVA00x), LAVA results and logs (LAVA01x). */
  LAVA: 'LAVA jobs, worker and results (src/lava)',
  CLI: 'command line and environment (cli/)',
} as const;

export type CodePrefix = keyof typeof CODE_PREFIXES;

const CODE = /^([A-Z]+)(\d{3,4})$/;

/** The registered prefix of a code, or undefined when the code is malformed or its prefix unregistered. */
export function codePrefix(code: string): CodePrefix | undefined {
  const m = CODE.exec(code);
  const prefix = m?.[1];
  return prefix !== undefined && prefix in CODE_PREFIXES ? (prefix as CodePrefix) : undefined;
}
