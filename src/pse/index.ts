export * from './powered-device.js';
export * from './controller.js';
export * from './podl-regulator.js';
export * from './tps23881.js';
export {
  REG as TPS23881_REG,
  IT as TPS23881_IT,
  GEN_MASK as TPS23881_GEN_MASK,
  ClassCode as TPS23881_CLASS_CODE,
} from './tps23881-regs.js';
export * from './tps23881-firmware.js';
export * from './lifecycle.js';
