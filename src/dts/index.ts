export { readDtb, readDtbWithLayout, DtbErrorCode, type FdtHeader, type DtbLayout, type ReadDtbOptions } from './dtb-read.js';
export { printDts, formatPropertyValue } from './print.js';
export { applyOverlay, applyOverlayBlobs, cloneTree, FdtBlobEditor, OverlayErrorCode, type ApplyOverlayOptions, type BaseEditObserver } from './overlay.js';
export { compileDts, applyCheckOption, type CompileOptions, type CompileResult, type CompileHost } from './compile.js';
/** The built-in C preprocessor: `cpp -x assembler-with-cpp` output (line markers, origins) for compileDts. */
export { preprocess, PreprocessCache, PP as PreprocessCode, DEFAULT_PREPROCESS_LIMITS, type PreprocessHost, type PreprocessOptions, type PreprocessResult, type PreprocessLimits } from './preprocess.js';
export { writeDtb, type DtbWriteOptions } from './dtb-write.js';
export { CHECKS, type CheckLevel } from './checks.js';
export { MAX_INCLUDE_DEPTH } from './scanner.js';
export { MAX_NESTING } from './parser.js';
