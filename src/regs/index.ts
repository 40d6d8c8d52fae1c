/**
 * The register DSL (style.md "Registers", Renode-style): declare registers and fields, never hand-code
 * reads and writes. Pure: time comes from an injected `Clock`, events go to an injected sink.
 *
 *   const map = new RegisterMap({ name: 'phy', clock });
 *   map.define(0x00, 'BMCR', 0x1140)
 *     .flag(15, 'RESET', 'sc', { clearAfterNs: () => 500_000, onClear: () => map.reset() })
 *     .field(0, 6, 'RESERVED', 'reserved');
 */
export {
  RegisterMap,
  type PageSelect,
  type RegisterMapOptions,
  type DefineOptions,
  type ByteLocation,
} from './map.js';
export { readWord, writeWord, type WordAccess } from './word-access.js';
export { Register } from './register.js';
export { defineInterruptPair, type InterruptPair, type InterruptRegisterAt } from './interrupt-pair.js';
export {
  fieldMask,
  widthMask,
  type AccessMode,
  type FieldOptions,
  type FieldSpec,
  type RegisterWidth,
} from './field.js';
export type { RegisterEvent, RegisterEventSink } from './events.js';
export { Tracer, type TraceListener, type TraceSink } from './trace.js';
