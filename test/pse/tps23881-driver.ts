/** What the driver calls on its struct i2c_client: the kernel's i2c_smbus_* helpers. */
export interface SmbusOps {
  readByteData(command: number): number;
  writeByteData(command: number, value: number): number;
  readWordData(command: number): number;
  writeWordData(command: number, value: number): number;
}

/**
 * A line-by-line transcription of the register traffic of Linux 7.2's drivers/net/pse-pd/tps23881.c: probe,
 * tps23881_flash_sram_fw, setup_pi_matrix (get_of_channels, match/sort/write port matrix, set_ports_conf),
 * pi_enable/pi_disable (with the saved power policy), status getters, the power limit ops (manual policing
 * through FOLDBACK and the 2-/4-pair policing registers), tps23881_setup_irq and the IRQ handler. Tests run it
 * against the model so the model is held to what the real driver does, not to its own idea of it. Return
 * values follow the kernel: >= 0 success/value, negative errno. The SMBus client may be any transport (the
 * I2C bus directly, or the CP2112 driver transcription in test/usbredir).
 */
export const ENXIO = 6;
export const ENOENT = 2;
export const ENODEV = 19;
export const ERANGE = 34;
export const ETIMEDOUT = 110;
export const EINVAL = 22;

const R = {
  IT: 0x0,
  IT_MASK: 0x1,
  DET_EVENT: 0x5,
  FAULT: 0x7,
  SUPF_EVENT: 0xb,
  DISC: 0xc,
  FOUR_PAIR_POL1: 0x2a,
  FOLDBACK: 0x40,
  PW_STATUS: 0x10,
  OP_MODE: 0x12,
  DISC_EN: 0x13,
  DET_CLA_EN: 0x14,
  GEN_MASK: 0x17,
  PW_EN: 0x19,
  RESET: 0x1a,
  TWO_PAIR_POL1: 0x1e,
  PORT_MAP: 0x26,
  PORT_POWER: 0x29,
  INPUT_V: 0x2e,
  CHAN1_A: 0x30,
  FWREV: 0x41,
  DEVID: 0x43,
  CHAN1_CLASS: 0x4c,
  SRAM_CTRL: 0x60,
  SRAM_DATA: 0x61,
} as const;
const NBITACC = 1 << 5;
const INTEN = 1 << 7;
const CLCHE = 1 << 2;
const DECHE = 1 << 3;
const IT_DISF = 1 << 2;
const IT_DETC = 1 << 3;
const IT_CLASC = 1 << 4;
const IT_IFAULT = 1 << 5;
const IT_SUPF = 1 << 7;
const CLRAIN = 1 << 7;
const MAX_CHANS = 8;
const UV_STEP = 3662;
const NA_STEP = 89500;
const MW_STEP = 500;
const MIN_PI_PW_LIMIT_MW = 2000;
/** include/linux/pse-pd/pse.h MAX_PI_PW: the most an 802.3bt PI carries. */
export const MAX_PI_PW = 100000;

export const PARITY_CONF: [number, number][] = [
  [0x60, 0x01],
  [0x62, 0x00],
  [0x63, 0x80],
  [0x60, 0xc4],
  [0x1d, 0xbc],
  [0xd7, 0x02],
  [0x91, 0x00],
  [0x90, 0x00],
  [0xd7, 0x00],
  [0x1d, 0x00],
];
export const SRAM_CONF: [number, number][] = [
  [0x60, 0xc5],
  [0x62, 0x00],
  [0x63, 0x80],
  [0x60, 0xc0],
  [0x1d, 0xbc],
  [0xd7, 0x02],
  [0x91, 0x00],
  [0x90, 0x00],
  [0xd7, 0x00],
  [0x1d, 0x00],
];

/** tps23881_power_class_table, index = DISC class nibble. */
export const POWER_CLASS_TABLE = [
  -ERANGE,
  4000,
  7000,
  15500,
  30000,
  15500,
  15500,
  -ERANGE,
  45000,
  60000,
  75000,
  90000,
  15500,
  45000,
  -ERANGE,
  -ERANGE,
];

export interface DriverInfo {
  devId: number;
  /** undefined for TPS23881B: the ROM firmware is used. */
  firmware?: { parity: Uint8Array | undefined; sram: Uint8Array | undefined };
}

interface PortDesc {
  chan: [number, number];
  is4p: boolean;
  /** Saved power policy (pw_pol, in 0.5 W steps); -1 when none was set. */
  pwPol: number;
  exist: boolean;
}

/** enum ethtool_pse_event names as ethtool --monitor prints them. */
export type PseEventName = 'over-current' | 'over-temp' | 'detection' | 'classification' | 'disconnection';

/** A PI as pse_core's of_load_pse_pis leaves it: the channel numbers its pairsets' nodes have. */
export interface PiPairsets {
  pairsetChannels: number[];
}

export class Tps23881Driver {
  readonly port: PortDesc[] = Array.from({ length: MAX_CHANS }, () => ({
    chan: [0, 0],
    is4p: false,
    pwPol: -1,
    exist: false,
  }));
  readonly log: string[] = [];
  constructor(private readonly client: SmbusOps) {}

  private calcVal(reg: number, chan: number, off: number, mask: number): number {
    if (chan >= 4) reg >>= 8;
    return (reg >> off) & mask;
  }
  private setVal(reg: number, chan: number, off: number, mask: number, val: number): number {
    val &= mask;
    if (chan < 4) {
      reg &= ~(mask << off);
      reg |= val << off;
    } else {
      reg &= ~(mask << (off + 8));
      reg |= val << (off + 8);
    }
    return reg & 0xffff;
  }

  private flashPart(image: Uint8Array | undefined, conf: [number, number][]): number {
    if (!image) return -ENOENT; // request_firmware() fails: file not provided
    for (const [reg, val] of conf) {
      const ret = this.client.writeByteData(reg, val);
      if (ret) return ret;
    }
    for (const b of image) {
      const ret = this.client.writeByteData(R.SRAM_DATA, b);
      if (ret) return ret;
    }
    return 0;
  }

  /** tps23881_i2c_probe up to devm_pse_controller_register. */
  probe(info: DriverInfo): number {
    let ret = this.client.readByteData(R.DEVID);
    if (ret < 0) return ret;
    if (ret !== info.devId) {
      this.log.push('Wrong device ID');
      return -ENXIO;
    }
    if (info.firmware) {
      ret = this.flashPart(info.firmware.parity, PARITY_CONF);
      if (ret) return ret;
      ret = this.flashPart(info.firmware.sram, SRAM_CONF);
      if (ret) return ret;
      ret = this.client.writeByteData(R.SRAM_CTRL, 0x18);
      if (ret) return ret;
    }
    ret = this.client.readByteData(R.FWREV);
    if (ret < 0) return ret;
    if (ret === 0xff) {
      this.log.push('Device entered safe mode');
      return -ENXIO;
    }
    this.log.push(`Firmware revision 0x${ret.toString(16)}${ret === 0 ? ' (ROM firmware)' : ''}`);
    ret = this.client.readByteData(R.GEN_MASK);
    if (ret < 0) return ret;
    return this.client.writeByteData(R.GEN_MASK, ret | NBITACC);
  }

  /** tps23881_setup_pi_matrix -> set_ports_matrix, for PIs whose pairsets point at channel nodes. */
  setupPiMatrix(pis: (PiPairsets | undefined)[]): number {
    type M = { piId: number; lgcl: [number, number]; hw: [number, number]; is4p: boolean; exist: boolean };
    const blank = (): M => ({ piId: 0, lgcl: [0, 0], hw: [0, 0], is4p: false, exist: false });
    const pm: M[] = Array.from({ length: MAX_CHANS }, blank);
    const isFree = (m: M[], chan: number): boolean =>
      !m.some((e) => e.exist && (e.hw[0] === chan || e.hw[1] === chan));
    for (let i = 0; i < MAX_CHANS; i++) {
      const pi = pis[i];
      if (!pi || pi.pairsetChannels.length === 0) continue;
      const c0 = pi.pairsetChannels[0]!;
      if (!isFree(pm, c0)) return -ENODEV;
      pm[i]!.hw[0] = c0;
      pm[i]!.exist = true;
      const c1 = pi.pairsetChannels[1];
      if (c1 === undefined) continue;
      if (!isFree(pm, c1)) return -ENODEV;
      if (Math.floor(c0 / 4) !== Math.floor(c1 / 4)) return -ENODEV;
      pm[i]!.hw[1] = c1;
      pm[i]!.is4p = true;
    }
    // tps23881_sort_port_matrix
    const tmp: M[] = Array.from({ length: MAX_CHANS }, blank);
    let cnt = 0;
    const grp = [0, 4];
    for (const want4p of [true, false]) {
      for (let i = 0; i < MAX_CHANS; i++) {
        const e = pm[i]!;
        if (!e.exist || e.is4p !== want4p) continue;
        const g = e.hw[0] < 4 ? 0 : 1;
        const t = tmp[cnt]!;
        t.exist = true;
        t.is4p = want4p;
        t.piId = i;
        t.hw = [e.hw[0], e.hw[1]];
        t.lgcl[0] = grp[g]!++;
        if (want4p) t.lgcl[1] = grp[g]!++;
        cnt++;
      }
    }
    const unused = (): number => {
      for (let i = 0; i < MAX_CHANS; i++) {
        let used = false;
        for (let j = 0; j < cnt; j++)
          if (tmp[j]!.hw[0] === i || (tmp[j]!.is4p && tmp[j]!.hw[1] === i)) used = true;
        if (!used) return i;
      }
      return -ENODEV;
    };
    for (const [g, end] of [
      [0, 4],
      [1, 8],
    ] as const) {
      while (grp[g]! < end) {
        const c = unused();
        if (c < 0 || cnt >= MAX_CHANS) return -ENODEV;
        tmp[cnt]!.lgcl[0] = grp[g]!;
        tmp[cnt]!.hw[0] = c;
        grp[g]!++;
        cnt++;
      }
    }
    // tps23881_write_port_matrix
    let val = 0;
    for (let i = 0; i < cnt; i++) {
      const e = tmp[i]!;
      if (e.exist) {
        this.port[e.piId]!.chan[0] = e.lgcl[0];
        this.port[e.piId]!.exist = true;
      }
      this.port[e.piId]!.pwPol = -1;
      val |= (e.hw[0] % 4) << (e.lgcl[0] * 2);
      if (!e.is4p) continue;
      if (e.exist) {
        this.port[e.piId]!.is4p = true;
        this.port[e.piId]!.chan[1] = e.lgcl[1];
      }
      val |= (e.hw[1] % 4) << (e.lgcl[1] * 2);
    }
    let ret = this.client.writeWordData(R.PORT_MAP, val);
    if (ret) return ret;
    // tps23881_set_ports_conf (iterates the sorted matrix, as the driver does after the memcpy)
    ret = this.client.writeWordData(R.OP_MODE, 0xaaaa);
    if (ret) return ret;
    ret = this.client.writeWordData(R.DISC_EN, 0);
    if (ret) return ret;
    val = 0;
    for (const e of tmp) if (e.exist) val |= (e.is4p ? 0xf : 0x3) << (Math.floor(e.lgcl[0] / 2) * 4);
    ret = this.client.writeWordData(R.PORT_POWER, val);
    if (ret) return ret;
    val = 0;
    for (const e of tmp) {
      if (!e.exist) continue;
      val |= (1 << e.lgcl[0]) | (1 << (e.lgcl[0] + 4));
      if (e.is4p) val |= (1 << e.lgcl[1]) | (1 << (e.lgcl[1] + 4));
    }
    return this.client.writeWordData(R.DET_CLA_EN, val);
  }

  piEnable(id: number): number {
    const p = this.port[id]!;
    let chan = p.chan[0];
    let val = this.setVal(0, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
    if (p.is4p) {
      chan = p.chan[1];
      val = this.setVal(val, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
    }
    let ret = this.client.writeWordData(R.PW_EN, val);
    if (ret) return ret;
    chan = p.chan[0];
    ret = this.client.readWordData(R.DISC_EN);
    if (ret < 0) return ret;
    val = this.setVal(ret, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
    return this.client.writeWordData(R.DISC_EN, val);
  }

  piDisable(id: number): number {
    const p = this.port[id]!;
    let chan = p.chan[0];
    let val = this.setVal(0, chan, 4, 1 << (chan % 4), 1 << (chan % 4));
    if (p.is4p) {
      chan = p.chan[1];
      val = this.setVal(val, chan, 4, 1 << (chan % 4), 1 << (chan % 4));
    }
    let ret = this.client.writeWordData(R.PW_EN, val);
    if (ret) return ret;
    chan = p.chan[0];
    ret = this.client.readWordData(R.DISC_EN);
    if (ret < 0) return ret;
    val = this.setVal(ret, chan, 0, 0, 1 << (chan % 4));
    ret = this.client.writeWordData(R.DISC_EN, val);
    if (ret) return ret;
    ret = this.client.readWordData(R.DET_CLA_EN);
    if (ret < 0) return ret;
    chan = p.chan[0];
    val = this.setVal(ret, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
    val = this.setVal(val, chan, 4, 1 << (chan % 4), 1 << (chan % 4));
    if (p.is4p) {
      chan = p.chan[1];
      // The driver restarts from `ret` here (it drops the first channel's bits); transcribed as is.
      val = this.setVal(ret, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
      val = this.setVal(val, chan, 4, 1 << (chan % 4), 1 << (chan % 4));
    }
    ret = this.client.writeWordData(R.DET_CLA_EN, val);
    if (ret) return ret;
    if (p.pwPol < 0) return 0;
    ret = this.enableManualPol(id);
    if (ret < 0) return ret;
    return this.setPwPolLimit(id, p.pwPol, p.is4p);
  }

  /** tps23881_pi_set_pw_pol_limit: one 4P POLICE register serves both channels of a 4-pair PI. */
  private setPwPolLimit(id: number, pwPol: number, is4p: boolean): number {
    const chan = this.port[id]!.chan[0];
    const reg = !is4p ? R.TWO_PAIR_POL1 + (chan % 4) : chan % 4 < 2 ? R.FOUR_PAIR_POL1 : R.FOUR_PAIR_POL1 + 1;
    const ret = this.client.readWordData(reg);
    if (ret < 0) return ret;
    return this.client.writeWordData(reg, this.setVal(ret, chan, 0, 0xff, pwPol));
  }

  /**
   * tps23881_pi_enable_manual_pol: a byte read and a byte write of FOLDBACK. For a channel of the second quad
   * tps23881_set_val() puts the bit in the high byte, which the u8 write then drops (transcribed as is).
   */
  private enableManualPol(id: number): number {
    const ret = this.client.readByteData(R.FOLDBACK);
    if (ret < 0) return ret;
    const chan = this.port[id]!.chan[0];
    const val = this.setVal(ret, chan, 0, 1 << (chan % 4), 1 << (chan % 4));
    return this.client.writeByteData(R.FOLDBACK, val & 0xff);
  }

  /** tps23881_pi_set_pw_limit (ethtool --set-pse ... c33-pse-avail-pw-limit). */
  setPwLimit(id: number, maxMw: number): number {
    if (maxMw < MIN_PI_PW_LIMIT_MW || MAX_PI_PW < maxMw) {
      this.log.push(`power limit ${maxMw} out of ranges [${MIN_PI_PW_LIMIT_MW},${MAX_PI_PW}]`);
      return -ERANGE;
    }
    const ret = this.enableManualPol(id);
    if (ret < 0) return ret;
    const pwPol = Math.round(maxMw / MW_STEP);
    this.port[id]!.pwPol = pwPol;
    return this.setPwPolLimit(id, pwPol, this.port[id]!.is4p);
  }

  private bothChannels(reg: number, off: number, id: number): number {
    const p = this.port[id]!;
    let on = this.calcVal(reg, p.chan[0], off, 1 << (p.chan[0] % 4)) !== 0;
    if (p.is4p) on &&= this.calcVal(reg, p.chan[1], off, 1 << (p.chan[1] % 4)) !== 0;
    return on ? 1 : 0;
  }

  /** 1 = ETHTOOL_C33_PSE_ADMIN_STATE_ENABLED, 0 = disabled. */
  getAdminState(id: number): number {
    const ret = this.client.readWordData(R.PW_STATUS);
    return ret < 0 ? ret : this.bothChannels(ret, 0, id);
  }

  /** 1 = ETHTOOL_C33_PSE_PW_D_STATUS_DELIVERING, 0 = disabled. */
  getPwStatus(id: number): number {
    const ret = this.client.readWordData(R.PW_STATUS);
    return ret < 0 ? ret : this.bothChannels(ret, 4, id);
  }

  getVoltageUv(): number {
    const ret = this.client.readWordData(R.INPUT_V);
    return ret < 0 ? ret : (ret & 0x3fff) * UV_STEP;
  }

  private chanCurrentUa(chan: number): number {
    const ret = this.client.readWordData(R.CHAN1_A + (chan % 4) * 4 + (chan >= 4 ? 1 : 0));
    return ret < 0 ? ret : Math.round(((ret & 0x3fff) * NA_STEP) / 1000);
  }

  getActualPwMw(id: number): number {
    const uV = this.getVoltageUv();
    if (uV < 0) return uV;
    const p = this.port[id]!;
    let uA = this.chanCurrentUa(p.chan[0]);
    if (p.is4p) uA += this.chanCurrentUa(p.chan[1]);
    return Math.round((uV * uA) / 1e9);
  }

  getPwClass(id: number): number {
    const chan = this.port[id]!.chan[0];
    const ret = this.client.readWordData(R.CHAN1_CLASS + (chan % 4));
    return ret < 0 ? ret : this.calcVal(ret, chan, 4, 0x0f);
  }

  private pwLimitChan(chan: number): number {
    const ret = this.client.readWordData(R.TWO_PAIR_POL1 + (chan % 4));
    return ret < 0 ? ret : this.calcVal(ret, chan, 0, 0xff) * MW_STEP;
  }

  getPwLimitMw(id: number): number {
    const p = this.port[id]!;
    let mW = this.pwLimitChan(p.chan[0]);
    if (p.is4p) mW += this.pwLimitChan(p.chan[1]);
    return mW;
  }

  getPwReqMw(id: number): number {
    const chan = this.port[id]!.chan[0];
    const ret = this.client.readWordData(R.DISC + (chan % 4));
    return ret < 0 ? ret : POWER_CLASS_TABLE[this.calcVal(ret, chan, 4, 0xf)]!;
  }

  /** tps23881_setup_irq before devm_pse_irq_helper; `irq` is client->irq (0: none in the device tree). */
  setupIrq(irq = 1): number {
    if (!irq) {
      this.log.push('interrupt is missing');
      return -EINVAL;
    }
    let val = IT_IFAULT | IT_SUPF | IT_DETC | IT_CLASC | IT_DISF;
    val |= val << 8;
    let ret = this.client.writeWordData(R.IT_MASK, val);
    if (ret) return ret;
    ret = this.client.readWordData(R.GEN_MASK);
    if (ret < 0) return ret;
    val = INTEN | CLCHE | DECHE;
    val |= val << 8;
    val |= ret;
    ret = this.client.writeWordData(R.GEN_MASK, val);
    if (ret < 0) return ret;
    return this.client.writeWordData(R.RESET, CLRAIN);
  }

  /**
   * tps23881_irq_handler with tps23881_irq_event_handler and its helpers: returns the per-PI events it would
   * notify (what pse_isr gets in notifs/notifs_mask), or a negative errno. `-ETIMEDOUT` with "interrupt never
   * freed" in the log is what the kernel prints when reading the events does not release the INT pin.
   */
  irqHandler(): Map<number, Set<PseEventName>> | number {
    const notifs = new Map<number, Set<PseEventName>>();
    const note = (chans: number, ...events: PseEventName[]): void => {
      if (!chans) return;
      for (let i = 0; i < MAX_CHANS; i++) {
        if (!this.port[i]!.exist) continue;
        if ((1 << this.port[i]!.chan[0]) & chans) {
          if (!notifs.has(i)) notifs.set(i, new Set());
          for (const e of events) notifs.get(i)!.add(e);
        }
      }
    };
    const exportChans = (reg: number, off: number): number =>
      ((reg >> (4 + off)) & 0xf0) | ((reg >> off) & 0x0f);
    let ret = this.client.readWordData(R.IT_MASK);
    if (ret < 0) return ret;
    const itMask = ret;
    for (let retry = 0; ; retry++) {
      if (retry > 10) {
        this.log.push('interrupt never freed');
        return -ETIMEDOUT;
      }
      ret = this.client.readWordData(R.IT);
      if (ret < 0) return ret;
      if (!(ret & itMask)) return notifs;
      const reg = ret;
      // "The Supply event bit is repeated twice so we only need to read the one from the first byte."
      if (reg & IT_SUPF) {
        const v = this.client.readWordData(R.SUPF_EVENT);
        if (v < 0) return v;
        if (v & (1 << 7))
          for (let i = 0; i < MAX_CHANS; i++)
            if (this.port[i]!.exist) {
              if (!notifs.has(i)) notifs.set(i, new Set());
              notifs.get(i)!.add('over-temp');
            }
      }
      if (reg & (IT_IFAULT | (IT_IFAULT << 8) | IT_DISF | (IT_DISF << 8))) {
        const v = this.client.readWordData(R.FAULT);
        if (v < 0) return v;
        // tps23881_irq_event_over_current: PCUT channels notify over-current and disconnection, then every PI
        // in notifs_mask with a saved policy gets it written again.
        const oc = exportChans(v, 0);
        if (oc) {
          note(oc, 'over-current', 'disconnection');
          for (const i of notifs.keys()) {
            const p = this.port[i]!;
            if (p.pwPol < 0) continue;
            let r = this.enableManualPol(i);
            if (r < 0) return r;
            r = this.setPwPolLimit(i, p.pwPol, p.is4p);
            if (r < 0) return r;
          }
        }
        // The driver then calls tps23881_irq_event_disconnection(priv, ret, ...) with `ret` already
        // overwritten by the over-current helper's return value (0), so FAULT's DISF bits never notify.
        note(exportChans(0, 4), 'disconnection');
      }
      if (reg & (IT_DETC | (IT_DETC << 8) | IT_CLASC | (IT_CLASC << 8))) {
        const v = this.client.readWordData(R.DET_EVENT);
        if (v < 0) return v;
        const det = exportChans(v, 0);
        for (let i = 0; i < MAX_CHANS; i++) {
          if (!(det & (1 << i))) continue;
          const d = this.client.readWordData(R.DISC + (i % 4));
          if (d < 0) return d;
          note(1 << i, this.calcVal(d, i, 0, 0xf) === 0x4 ? 'detection' : 'disconnection');
        }
        const cls = exportChans(v, 4);
        for (let i = 0; i < MAX_CHANS; i++) {
          if (!(cls & (1 << i))) continue;
          const d = this.client.readWordData(R.DISC + (i % 4));
          if (d < 0) return d;
          const c = this.calcVal(d, i, 4, 0xf);
          // "Do not report classification event for unknown class"
          if (!c || c === 0x8 || c === 0xf) continue;
          note(1 << i, 'classification');
        }
      }
    }
  }
}
