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
    constants: {},
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
              options: machineArgs(),
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
