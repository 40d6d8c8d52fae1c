import { guestAppend } from '../qemu/qemu-scenario.js';
import { LAVA_BEGIN, LAVA_CASE_PATTERN, LAVA_END } from './console-protocol.js';

/** The QEMU option that names the run spec; the wrapper takes it out before starting QEMU. */
export const RUN_SPEC_OPTION = '-mdio-emu-run';

/** A file the job deploys: where LAVA downloads it from, and its digest (LAVA checks it after download). */
export interface JobImage {
  url: string;
  sha256: string;
}

export interface LavaJobOptions {
  scenario: string;
  kernel: { name: string; release?: string };
  images: { kernel: JobImage; ramdisk: JobImage; dtb: JobImage; runSpec: JobImage };
  /** The scenario's own deadline: the test action must outlast it, plus the guest's boot and power-off. */
  deadlineMs: number;
  /** The device type the lab registered with the wrapper as its QEMU (docs/scale-out.md). */
  deviceType?: string;
}

const minutes = (ms: number): { minutes: number } => ({ minutes: Math.max(1, Math.ceil(ms / 60_000)) });

/** LAVA names: letters, digits, `-_.` (the monitor schema's `name`). */
export function lavaName(text: string): string {
  return text.replace(/[^-_a-zA-Z0-9.]+/g, '_');
}

/**
 * One LAVA job for one scenario on one kernel, as the object LAVA's YAML job definition holds. The guest has
 * no shell for LAVA to drive: its init is the scenario's agent, and the emulator side runs in the wrapper
 * that the device starts in place of QEMU. LAVA's part is to deploy the files, start the wrapper with them
 * and read the test cases the wrapper prints once the guest has powered off (a `monitors` test action).
 */
export function lavaJob(o: LavaJobOptions): Record<string, unknown> {
  const image = (i: JobImage, arg: string): Record<string, unknown> => ({
    url: i.url,
    sha256sum: i.sha256,
    image_arg: arg,
  });
  // Boot, the scenario, the traces' dump and power-off: the deadline bounds the scenario, the rest is small.
  const testMs = o.deadlineMs + 3 * 60_000;
  return {
    device_type: o.deviceType ?? 'qemu',
    job_name: `mdio-emu ${o.scenario} on ${o.kernel.name}`,
    timeouts: {
      job: minutes(testMs + 10 * 60_000),
      action: { minutes: 5 },
      connection: { minutes: 2 },
    },
    priority: 'medium',
    visibility: 'public',
    context: { arch: 'arm64' },
    metadata: {
      'mdio-emu.scenario': o.scenario,
      'mdio-emu.kernel': o.kernel.name,
      ...(o.kernel.release === undefined ? {} : { 'mdio-emu.release': o.kernel.release }),
    },
    actions: [
      {
        deploy: {
          to: 'tmpfs',
          timeout: { minutes: 5 },
          images: {
            // The kernel command line rides on the kernel's argument: LAVA's `qemu` boot method has no other
            // place for it. pexpect splits LAVA's command line, so the single quotes keep it one argument.
            kernel: image(o.images.kernel, `-kernel {kernel} -append '${guestAppend}'`),
            ramdisk: image(o.images.ramdisk, '-initrd {ramdisk}'),
            dtb: image(o.images.dtb, '-dtb {dtb}'),
            mdio_emu: image(o.images.runSpec, `${RUN_SPEC_OPTION} {mdio_emu}`),
          },
        },
      },
      { boot: { method: 'qemu', media: 'tmpfs', timeout: { minutes: 2 } } },
      {
        test: {
          timeout: minutes(testMs),
          monitors: [
            {
              name: lavaName(`mdio-emu-${o.scenario}`),
              start: LAVA_BEGIN,
              end: LAVA_END,
              pattern: LAVA_CASE_PATTERN,
            },
          ],
        },
      },
    ],
  };
}
