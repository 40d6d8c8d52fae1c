import { InputError, type Diagnostic, type SourceFile } from '../diagnostics/index.js';

export { formatDiagnostic, type Diagnostic, type Severity } from '../diagnostics/index.js';

/** Raised when compilation cannot produce output; carries every diagnostic collected so far. */
export class DtsError extends InputError {
  constructor(
    diagnostics: readonly Diagnostic[],
    options?: ErrorOptions & { files?: ReadonlyMap<string, SourceFile> },
  ) {
    const first = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0];
    super(first?.code ?? 'DTS1000', first?.message ?? 'device tree compilation failed', {
      ...options,
      diagnostics,
    });
  }
}
