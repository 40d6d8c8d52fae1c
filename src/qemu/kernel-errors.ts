/**
 * A guest kernel could not be named, found, configured or built. `code` is stable (tests and the CLI use it);
 * the message is one line naming what to fix. `detail` holds the tail of a failing tool's output, if any.
 */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    options?: ErrorOptions & { detail?: string },
  ) {
    super(message, options);
    this.detail = options?.detail ?? '';
  }
  readonly detail: string;
}

export type KernelErrorCode =
  | 'KRN001' // a kernel spec that does not parse (NAME=SPEC grammar, docs/guest-kernel.md)
  | 'KRN002' // a version with no Debian source package known or published
  | 'KRN003' // the source cannot be had: package not installed or not downloadable, directory missing or unusable
  | 'KRN004' // a patch does not apply
  | 'KRN005' // a requested config option did not survive olddefconfig
  | 'KRN006' // the build (make) failed
  | 'KRN007' // a prebuilt Image/modules pair that cannot be read (no release found)
  | 'KRN008' // host tools missing (cross compiler, make, flex, bison, rsync, flock)
  | 'KRN009'; // a source tree older than Linux 6.1, or with in-tree build output
