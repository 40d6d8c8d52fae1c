/**
 * What an MDIO bus talks to. A device that does not answer a frame returns `undefined`; the bus then reads
 * the pulled-up line as 0xffff (802.3 22.2.4.1: MDIO is pulled high; 45.3 for Clause 45 frames).
 */
export interface MdioDevice {
  c22Read(reg: number): number | undefined;
  /** Returns false when the device ignores Clause 22 frames. */
  c22Write(reg: number, value: number): boolean;
  /** Clause 45 address frame (45.3.1): sets the MMD's address register. Returns false if not answered. */
  c45Address(devad: number, address: number): boolean;
  /** Clause 45 read / post-read-increment-address frame. */
  c45Read(devad: number, postIncrement: boolean): number | undefined;
  c45Write(devad: number, value: number): boolean;
}
