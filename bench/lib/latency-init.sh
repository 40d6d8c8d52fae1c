# Guest /init of the QEMU latency bench (bench/qemu.ts prepends ROUNDS, I2C_READS, BREAKDOWN and INSMOD).
# Two Marvell USB-MDIO adapters (the device model on USB2 port 1, the reference responder on port 2) and two
# CP2615s with a 24C02 (model on port 3, reference on port 4). The guest does the same accesses on each,
# interleaved round by round, and reports its ftrace buffer: mdio_access and i2c events always, the xHCI
# URB, doorbell and interrupt events for the breakdown.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
T=/sys/kernel/tracing
say() { echo "@@bench $*"; }

echo 32768 > $T/buffer_size_kb
# include/trace/events/mdio.h: traced after each MDIO transaction completes (mdio_bus.c __mdiobus_read/write).
echo 1 > $T/events/mdio/mdio_access/enable
# include/trace/events/i2c.h: i2c_write/i2c_read before the adapter's master_xfer, i2c_reply/i2c_result after.
for e in i2c_write i2c_read i2c_reply i2c_result; do echo 1 > $T/events/i2c/$e/enable; done
if [ "$BREAKDOWN" = 1 ]; then
	# drivers/usb/host/xhci-trace.h: URB submitted, doorbell written (the MMIO write QEMU traps), URB given
	# back; include/trace/events/irq.h: the controller's interrupt handler entered.
	for e in xhci_urb_enqueue xhci_ring_ep_doorbell xhci_urb_giveback; do
		echo 1 > $T/events/xhci-hcd/$e/enable
	done
	echo 'name ~ "xhci*"' > $T/events/irq/irq_handler_entry/filter
	echo 1 > $T/events/irq/irq_handler_entry/enable
fi

eval "$INSMOD"

# Wait (up to 20 s) for both PHYs and both EEPROMs.
i=0
while [ $i -lt 200 ]; do
	phys=$(ls -d /sys/bus/mdio_bus/devices/mvusb-*:00 2>/dev/null | wc -l)
	eeproms=$(ls -d /sys/bus/i2c/devices/*-0050/eeprom 2>/dev/null | wc -l)
	[ "$phys" -ge 2 ] && [ "$eeproms" -ge 2 ] && break
	usleep 100000
	i=$((i + 1))
done
of_node() { o=$(readlink "$1/of_node" 2>/dev/null) && echo "/${o#*/devicetree/base/}"; }
for d in /sys/bus/mdio_bus/devices/mvusb-*:00; do say "phy ${d##*/} $(of_node $d)"; done
for d in /sys/bus/i2c/devices/i2c-*; do say "i2c ${d##*/} $(of_node $d)"; done
for d in /sys/bus/usb/devices/1-*; do [ -e $d/devnum ] && say "usb ${d##*/} $(of_node $d)"; done

PHYS=$(cd /sys/bus/mdio_bus/devices && ls -d mvusb-*:00)
EEPROMS=$(ls /sys/bus/i2c/devices/*-0050/eeprom)
D=/sys/bus/mdio_bus/drivers/Marvell\ 88E1510
echo "bench start" > $T/trace_marker
# Each bind runs phy_probe(): marvell_config_intr() writes register 0x12, then reads 0x13 at once
# (drivers/net/phy/marvell.c), so the gap between those two trace events is one MDIO read.
r=0
while [ $r -lt $ROUNDS ]; do
	for p in $PHYS; do
		echo -n $p > "$D/unbind"
		echo -n $p > "$D/bind"
	done
	r=$((r + 1))
done
# One byte per read(): at24 reads its 24C02 through the CP2615 with a write of the offset and a read of
# one byte, two I2C messages, as an SMBus byte read (i2cget) does.
r=0
while [ $r -lt 4 ]; do
	for e in $EEPROMS; do dd if=$e of=/dev/null bs=1 count=$I2C_READS skip=$((r * I2C_READS)) 2>/dev/null; done
	r=$((r + 1))
done
echo "bench end" > $T/trace_marker
echo 0 > $T/tracing_on
say "trace"
grep -v '^#' $T/trace
say "end"
poweroff -f
