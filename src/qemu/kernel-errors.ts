import { MdioEmuError, type ErrorKind } from '../diagnostics/index.js';

/**
 * A guest kernel could not be named, found, configured or built. `code` is stable (tests assert it); the
 * message is one line naming what to fix; `output` holds the tail of a failing tool's output, if any.
 */
export class KernelError extends MdioEmuError {
  readonly kind: ErrorKind;
  readonly output: string;
  constructor(code: KernelErrorCode, detail: string, options?: ErrorOptions & { output?: string }) {
    super(code, detail, options?.cause === undefined ? {} : { cause: options.cause });
    this.kind = ENVIRONMENT.has(code) ? 'environment' : 'input';
    this.output = options?.output ?? '';
  }
}

export type KernelErrorCode =
  | 'KRN001' // a kernel spec that does not parse (NAME=SPEC grammar, docs/guest-kernel.md)
  | 'KRN002' // a version with no Debian source package known or published
  | 'KRN003' // the source cannot be had: package not installed or not downloadable, directory missing or unusable
  | 'KRN004' // a patch does not apply
  | 'KRN005' // a requested config option did not survive olddefconfig
  | 'KRN006' // the build (make) failed
  | 'KRN007' // a prebuilt Image/modules pair that cannot be read (no release found)
  | 'KRN008' // host tools missing (cross compiler, make, flex, bison, flock, patch)
  | 'KRN009'; // a source tree older than Linux 6.1, or with in-tree build output

/** Failures of the machine rather than of what the user asked for. */
const ENVIRONMENT = new Set<KernelErrorCode>(['KRN003', 'KRN008']);
