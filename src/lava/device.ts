import { machineArgs } from '../qemu/machine.js';

/** The program a worker's QEMU device runs in place of qemu-system-aarch64 (bin/ of the mdio-emu package). */
export const WRAPPER_COMMAND = 'mdio-emu-qemu';

/**
 * The device dictionary of a QEMU device whose QEMU is the mdio-emu wrapper, rendered (what `lava-run
 * --device` reads; a lab's server renders the same from the template in docs/scale-out.md). Its options are
 * exactly the machine options the local runner boots with, so the composed DTB describes the machine QEMU
 * builds; LAVA's usual `-net nic` is left out (Debian's QEMU lacks the ROM it needs, and the guest has no
 * network to reach anyway).
 */
export function qemuDeviceDictionary(o: { command?: string } = {}): Record<string, unknown> {
  return {
    device_type: 'qemu',
    // Constants the dispatcher looks up in every job, shell or not (a server renders them from its base
    // template); without them lava-run stops with a configuration error.
    constants: {
      failure_retry: 1,
      boot_retry: 1,
      spawn_maxread: 4092,
      'kernel-start-message': 'Linux version [0-9]',
      'shutdown-message': 'reboot: Power down',
      'default-shell-prompt': 'lava-test: # ',
      posix: {
        lava_test_sh_cmd: '/bin/sh',
        lava_test_results_dir: '/lava-%s',
        lava_test_shell_file: '~/.bashrc',
      },
    },
    parameters: {},
    available_architectures: ['arm64'],
    actions: {
      deploy: { methods: { image: { parameters: {} }, tmpfs: {} } },
      boot: {
        connections: { serial: null },
        methods: {
          qemu: {
            parameters: {
              command: o.command ?? WRAPPER_COMMAND,
              options: pairOptions(machineArgs()),
            },
          },
        },
      },
    },
    timeouts: {
      actions: {},
      connections: {},
    },
  };
}

/** `-M virt` as one item, as LAVA's templates write QEMU options (it joins them with spaces). */
function pairOptions(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const last = out.at(-1);
    if (last !== undefined && !a.startsWith('-') && last.startsWith('-') && !last.includes(' '))
      out[out.length - 1] = `${last} ${a}`;
    else out.push(a);
  }
  return out;
}
