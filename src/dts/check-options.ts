import { CHECKS, type CheckDef, type CheckLevel } from './checks.js';

/**
 * dtc's -W/-E handling (checks.c parse_checks_option, enable_warning_error, disable_warning_error). Each
 * check carries two independent flags, warn and error, so the order of options matters the way it does for
 * dtc: `-Wfoo -Efoo -Eno-foo` leaves foo a warning, while `-Eno-foo` on an error-only check turns it off.
 * Raising a check raises its prerequisites; lowering one lowers every check that has it as a prerequisite.
 * Unlike checks.ts applyCheckSwitch, names are taken as dtc takes them: `unit-address-vs-reg` is no check.
 */
export class CheckOptions {
  private readonly flags = new Map<string, { warn: boolean; error: boolean }>();
  private readonly byName: ReadonlyMap<string, CheckDef>;

  constructor(private readonly checks: readonly CheckDef[] = CHECKS) {
    this.byName = new Map(checks.map((c) => [c.name, c]));
  }

  /**
   * One `-W arg` (warn) or `-E arg` (error). `no-` or `no_` turns the flag off. Returns the unknown check
   * name when there is no such check (dtc: `Unrecognized check name "%s"`), undefined when applied.
   */
  apply(flag: 'W' | 'E', arg: string): string | undefined {
    const off = arg.startsWith('no-') || arg.startsWith('no_');
    const name = off ? arg.slice(3) : arg;
    const check = this.byName.get(name);
    if (!check) return name;
    const warn = flag === 'W';
    if (off) this.disable(check, warn, !warn);
    else this.enable(check, warn, !warn);
    return undefined;
  }

  /** The level of every check whose flags an option changed, for CompileOptions.checkLevels. */
  levels(): Map<string, CheckLevel> {
    const out = new Map<string, CheckLevel>();
    for (const [name, f] of this.flags) out.set(name, f.error ? (f.warn ? 'warning+error' : 'error') : f.warn ? 'warning' : 'off');
    return out;
  }

  private state(c: CheckDef): { warn: boolean; error: boolean } {
    let f = this.flags.get(c.name);
    if (!f) {
      f = { warn: c.level === 'warning' || c.level === 'warning+error', error: c.level === 'error' || c.level === 'warning+error' };
      this.flags.set(c.name, f);
    }
    return f;
  }

  private enable(c: CheckDef, warn: boolean, error: boolean): void {
    const f = this.state(c);
    if ((warn && !f.warn) || (error && !f.error))
      for (const p of c.prereqs) {
        const prereq = this.byName.get(p);
        if (prereq) this.enable(prereq, warn, error);
      }
    f.warn ||= warn;
    f.error ||= error;
  }

  private disable(c: CheckDef, warn: boolean, error: boolean): void {
    const f = this.state(c);
    if ((warn && f.warn) || (error && f.error))
      for (const dependent of this.checks) if (dependent.prereqs.includes(c.name)) this.disable(dependent, warn, error);
    f.warn &&= !warn;
    f.error &&= !error;
  }
}
