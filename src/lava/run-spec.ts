import { InputError } from '../diagnostics/index.js';

/**
 * The one file a LAVA job hands the worker-side wrapper (as a deployed image, so LAVA downloads it with the
 * kernel): the scenario and its tree, composed onto QEMU's virt machine when the job was generated. The tree
 * is DTS text of the whole composed tree, labels included, which compiles back to the very DTB the job boots
 * (checked in test/lava/jobs.test.ts), so the worker needs neither the scenario's include files nor a QEMU
 * DTB dump of its own.
 */
export interface LavaRunSpec {
  format: 1;
  /** The scenario's name (its file name without `.scenario.json`). */
  scenario: string;
  /** The scenario file as the user wrote it, its `dts` pointing at `dts` below. */
  scenarioJson: Record<string, unknown>;
  /** The composed tree, as DTS. */
  dts: string;
  /** The report's column. */
  kernel: { name: string; release?: string };
}

export function parseRunSpec(text: string, file: string): LavaRunSpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new InputError('LAVA001', `${file}: not JSON: ${(err as Error).message}`, { where: file });
  }
  const bad = (why: string): never => {
    throw new InputError('LAVA001', `${file}: not an mdio-emu LAVA run spec: ${why}`, { where: file });
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const o = v as Record<string, unknown>;
  if (o.format !== 1) bad(`format ${JSON.stringify(o.format)}, this mdio-emu reads format 1`);
  if (typeof o.scenario !== 'string' || !/^[-\w.]+$/.test(o.scenario)) bad('scenario is not a name');
  if (typeof o.scenarioJson !== 'object' || o.scenarioJson === null) bad('scenarioJson is not an object');
  if (typeof o.dts !== 'string') bad('dts is not text');
  const k = o.kernel as Record<string, unknown> | undefined;
  if (typeof k !== 'object' || typeof k.name !== 'string') bad('kernel.name is missing');
  if (k?.release !== undefined && typeof k.release !== 'string') bad('kernel.release is not text');
  return v as LavaRunSpec;
}
