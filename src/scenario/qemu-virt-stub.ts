/**
 * A stand-in for the part of QEMU's arm64 `virt` tree a QEMU scenario's DTS builds on: the PCIe host bridge
 * the xHCI node goes under (src/qemu/machine.ts pcieHostPath). QEMU scenarios carry no `/dts-v1/` header
 * because `mdio-emu qemu run` merges them onto the tree QEMU dumps; runs with the kernel model and the
 * generator's tests put this in front instead, so the same file compiles on its own (with our compiler and with
 * dtc) without booting QEMU. The properties are the ones dtc's PCI checks ask of a host bridge.
 */
export const QEMU_VIRT_STUB_BODY = `/ {
	#address-cells = <2>;
	#size-cells = <2>;

	pcie@10000000 {
		compatible = "pci-host-ecam-generic";
		device_type = "pci";
		reg = <0x0 0x10000000 0x0 0x2eff0000>;
		bus-range = <0x0 0xff>;
		#address-cells = <3>;
		#size-cells = <2>;
		ranges = <0x2000000 0x0 0x10000000 0x0 0x10000000 0x0 0x2eff0000>;
	};
};
`;

/** The stand-in as a complete DTS file. */
export const QEMU_VIRT_STUB = `/dts-v1/;\n\n${QEMU_VIRT_STUB_BODY}`;

/** The stand-in as the base a fragment compiles onto (src/board/load.ts TreeLoadOptions.base). */
export const QEMU_VIRT_STUB_BASE = { name: 'qemu-virt-stub.dtsi', dts: QEMU_VIRT_STUB_BODY } as const;
