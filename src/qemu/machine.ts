/**
 * The QEMU arm64 "virt" machine mdio-emu boots, defined once: the DTB dump (`dumpdtb=`) must use exactly
 * the same machine options as the run, or the dumped tree would describe a different machine.
 */
export const qemuBinary = 'qemu-system-aarch64';

/** PCI slot of the qemu-xhci controller; its DT node is `usb@2,0` under the PCIe host bridge. */
export const xhciSlot = 2;
export const pcieHostPath = '/pcie@10000000';
export const xhciNodeName = `usb@${xhciSlot},0`;
export const xhciNodePath = `${pcieHostPath}/${xhciNodeName}`;

/**
 * qemu-xhci numbers its USB3 ports before its USB2 ports (hw/usb/hcd-xhci.c, `numports_3` = 4 by default),
 * and Linux matches a USB device's DT node by the xHCI raw port number (drivers/usb/core/of.c), so the
 * `usb-redir` device on USB2 port N belongs to the node with `reg = <N + 4>`.
 */
export const xhciUsb3Ports = 4;
export const xhciUsb2Ports = 4;

export function usb2PortForReg(reg: number): number | undefined {
  const port = reg - xhciUsb3Ports;
  return port >= 1 && port <= xhciUsb2Ports ? port : undefined;
}

/** Machine options shared by the DTB dump and the run. */
export function machineArgs(machineSuffix = ''): string[] {
  return [
    '-M',
    `virt${machineSuffix}`,
    '-cpu',
    'cortex-a57',
    '-m',
    '512',
    '-smp',
    '1',
    '-nographic',
    // No default NIC: it would need efi-virtio.rom, which Debian's qemu-system-arm does not ship.
    '-nic',
    'none',
    '-device',
    `qemu-xhci,id=xhci,addr=0x${xhciSlot.toString(16)}`,
  ];
}

export interface UsbRedirAttachment {
  /** chardev/device id suffix, unique per run. */
  id: string;
  /**
   * UNIX socket of the link. QEMU connects to it as a client (the emulator listens), or with `qemuListens`
   * QEMU listens there and waits for the emulator before it starts the guest (src/qemu/usbredir-links.ts).
   */
  socketPath: string;
  qemuListens?: boolean;
  /** USB2 root-hub port (1-based). */
  port: number;
  /** Optional pcap capture of the redirected traffic. */
  pcapPath?: string;
}

export interface RunArgsOptions {
  kernel: string;
  initrd: string;
  dtb: string;
  append: string;
  usb: readonly UsbRedirAttachment[];
}

export function runArgs(o: RunArgsOptions): string[] {
  const args = [
    ...machineArgs(),
    '-kernel',
    o.kernel,
    '-initrd',
    o.initrd,
    '-dtb',
    o.dtb,
    '-append',
    o.append,
    '-no-reboot',
  ];
  return [...args, ...usbRedirArgs(o.usb)];
}

/** One `usb-redir` device per attachment on the machine's qemu-xhci, on the attachment's socket. */
export function usbRedirArgs(usb: readonly UsbRedirAttachment[]): string[] {
  return usb.flatMap((u) => {
    const pcap = u.pcapPath ? `,pcap=${u.pcapPath}` : '';
    const server = u.qemuListens ? ',server=on,wait=on' : '';
    return [
      '-chardev',
      `socket,id=ur${u.id},path=${u.socketPath}${server}`,
      '-device',
      `usb-redir,chardev=ur${u.id},id=redir${u.id},bus=xhci.0,port=${u.port}${pcap}`,
    ];
  });
}
