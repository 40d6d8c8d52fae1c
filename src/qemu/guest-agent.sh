# The guest's /init: an agent that carries out scenario steps when the host asks, and reports what the kernel
# does. src/qemu/init-script.ts writes the step functions (step_N) and module list in front of this part.
# Runs under busybox sh inside the QEMU guest. Protocol with the host (src/qemu/qemu-guest.ts):
#   host -> guest, one line on the console: "s N" (run step N), "f" (finish: dump and power off)
#   guest -> host: /dev/kmsg is copied to the console as raw kmsg records, so everything the kernel logs and
#   every "mdio-emu: ..." line the agent writes there arrives with the kernel's own timestamp, in order;
#   larger payloads (command output, traces) are console lines "@@mdio-emu {json}" followed by "@@mdio-emu|..."
/bin/busybox --install -s /bin
export PATH=/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
T=/sys/kernel/tracing
# include/trace/events/mdio.h: one event per MDIO transaction, the guest's side of the trace comparison.
[ -e $T/events/mdio/mdio_access/enable ] && echo 1 > $T/events/mdio/mdio_access/enable
# include/trace/events/smbus.h: every SMBus transfer (request, reply, result), the guest's side of the I2C
# replay (src/qemu/i2c-replay.ts); hid-cp2112 and the tps23881 driver go through i2c_smbus_xfer().
[ -e $T/events/smbus/enable ] && echo 1 > $T/events/smbus/enable
[ -e $T/events/module/module_load/enable ] && echo 1 > $T/events/module/module_load/enable
stty -echo 2>/dev/null

log() { echo "mdio-emu: $*" > /dev/kmsg; }
mark() { echo "@@mdio-emu {\"kind\":\"$1\"${2:+,$2}}"; }
payload() { while IFS= read -r line; do echo "@@mdio-emu|$1$line"; done; }
trace_mark() { [ -e $T/trace_marker ] && echo "mdio-emu $1" > $T/trace_marker; }
of_node_of() {
  of=$(readlink "$1/of_node" 2>/dev/null) || return 0
  echo "/${of#*/devicetree/base/}"
}
driver_of() {
  drv=$(readlink "$1/driver" 2>/dev/null) || return 0
  echo "${drv##*/}"
}
# The sysfs device whose of_node is $1 (first match over the buses a scenario names).
device_of_node() {
  for d in /sys/bus/platform/devices/* /sys/bus/i2c/devices/* /sys/bus/usb/devices/* /sys/bus/mdio_bus/devices/*; do
    [ -e "$d/of_node" ] || continue
    [ "$(of_node_of $d)" = "$1" ] && { readlink -f "$d"; return 0; }
  done
  return 1
}
run_logged() {
  index=$1
  shift
  out=$("$@" 2>&1)
  rc=$?
  mark command "\"index\":$index,\"rc\":$rc"
  echo "$*" | payload "cmd "
  [ -n "$out" ] && echo "$out" | payload "out "
  return $rc
}
write_sysfs() { echo -n "$1" > "$2"; }
# pse-register / pse-unregister: the controller's device is bound again (any matching driver) or unbound.
pse_unbind() {
  d=$(device_of_node "$1") || { echo "no device for $1"; return 1; }
  [ -e "$d/driver" ] || { echo "$1 has no driver"; return 1; }
  echo -n "${d##*/}" > "$d/driver/unbind"
}
pse_bind() {
  d=$(device_of_node "$1") || { echo "no device for $1"; return 1; }
  bus=$(readlink -f "$d/subsystem")
  echo -n "${d##*/}" > "$bus/drivers_probe"
}
snapshot() {
  mark snapshot "$1"
  while IFS= read -r line; do
    name=${line%%	*}
    of=""
    for d in /sys/bus/*/devices/$name; do [ -e "$d" ] && of=$(of_node_of "$d"); done
    [ -z "$of" ] && [ -e /sys/bus/usb/devices/$name ] && of=$(of_node_of "$(readlink -f /sys/bus/usb/devices/$name)/..")
    echo "deferred name=$name of_node=$of reason=${line#*	}"
  done < /sys/kernel/debug/devices_deferred | payload
  for d in /sys/bus/mdio_bus/devices/*; do
    [ -e "$d" ] || continue
    echo "mdio name=${d##*/} phy_id=$(cat $d/phy_id 2>/dev/null) of_node=$(of_node_of $d) driver=$(driver_of $d)"
  done | payload
}
read_eeprom() {
  mark eeprom "\"path\":\"$1\""
  for d in /sys/bus/i2c/devices/*; do
    [ "$(of_node_of $d)" = "$1" ] || continue
    echo "device name=${d##*/}" | payload
    [ -e $d/eeprom ] && hexdump -v -n $2 -e '16/1 "%02x" "\n"' $d/eeprom | payload "hex "
  done
}

# Every kernel message, with its timestamp and the device it names, reaches the host as it is logged.
cat /dev/kmsg > /dev/console &
# Uevents: which DT node each device belongs to, and every driver bind and unbind (src/qemu/kernel-log.ts).
cat > /bin/uevent-hook <<'HOOK'
#!/bin/sh
case "$SUBSYSTEM" in usb|mdio_bus|platform|i2c|net|regulator|hid) ;; *) exit 0 ;; esac
id=""
[ "$SUBSYSTEM" = mdio_bus ] && [ "$ACTION" = add -o "$ACTION" = bind ] && id=$(cat "/sys$DEVPATH/phy_id" 2>/dev/null)
echo "mdio-emu: uevent|$ACTION|$SUBSYSTEM|$DEVPATH|$DEVTYPE|$OF_FULLNAME|$id|$INTERFACE|$DRIVER" > /dev/kmsg
HOOK
chmod 755 /bin/uevent-hook
uevent /bin/uevent-hook &
# The listener must be bound before the scan below lists sysfs: a device added between the two (a USB device
# enumerating during boot) was otherwise seen by neither, and its node never mapped (seen under load).
usleep 100000
# Devices that exist before the listener started (USB devices enumerated during boot, the scenario's
# platform devices): report their add and bind as the hook would. Only the scenario's own nodes ($WATCH) and
# USB devices (whose interfaces have no node of their own) are read: walking all of sysfs costs seconds.
for bus in usb platform i2c mdio_bus; do
  for d in /sys/bus/$bus/devices/*; do
    [ -e "$d" ] || continue
    of=$(of_node_of $d)
    if [ -z "$of" ]; then [ $bus = usb ] || continue; else
      case " $WATCH " in *" $of "*) ;; *) [ $bus = usb ] || continue ;; esac
    fi
    DEVTYPE=""
    while IFS='=' read -r k v; do [ "$k" = DEVTYPE ] && DEVTYPE=$v; done < $d/uevent
    real=$(readlink -f $d)
    DEVPATH=${real#/sys} ACTION=add SUBSYSTEM=$bus OF_FULLNAME=$of DRIVER="" INTERFACE="" DEVTYPE=$DEVTYPE /bin/uevent-hook
    drv=$(driver_of $d)
    [ -n "$drv" ] && DEVPATH=${real#/sys} ACTION=bind SUBSYSTEM=$bus OF_FULLNAME=$of DRIVER=$drv INTERFACE="" DEVTYPE=$DEVTYPE /bin/uevent-hook
  done
done
# A heartbeat in the guest's own time: the host measures waits and quiet periods on it, so a busy host slows
# the run without changing its verdict.
( while :; do log tick; usleep 200000; done ) &
HEARTBEAT=$!
finish() {
  kill $HEARTBEAT 2>/dev/null
  snapshot '"label":"end"'
  for e in $EEPROMS; do read_eeprom ${e%:*} ${e#*:}; done
  [ -e $T/tracing_on ] && echo 0 > $T/tracing_on
  mark trace
  [ -e $T/trace ] && grep -v '^#' $T/trace | payload
  log done
  mark done
  sleep 1
  poweroff -f
}
log up
while IFS= read -r cmd; do
  case "$cmd" in
    "s "*) n=${cmd#s }; step_$n ;;
    f) finish ;;
  esac
done
finish
