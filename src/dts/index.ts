export { readDtb, readDtbWithLayout, DtbErrorCode, type FdtHeader, type DtbLayout, type ReadDtbOptions } from './dtb-read.js';
export { printDts, formatPropertyValue } from './print.js';
