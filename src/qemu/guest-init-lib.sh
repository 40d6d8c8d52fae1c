# Guest /init prologue: mdio-emu prepends this to the timeline that src/qemu/init-script.ts generates.
# Runs under busybox sh inside the QEMU guest.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
T=/sys/kernel/tracing
# include/trace/events/mdio.h: one event per MDIO transaction, the guest's side of the trace comparison.
echo 1 > $T/events/mdio/mdio_access/enable
echo 1 > $T/events/module/module_load/enable

# Milliseconds since boot; /proc/uptime has centisecond resolution.
now_ms() {
  read up rest < /proc/uptime
  frac=${up#*.}
  frac=${frac#0}
  echo $(( ${up%.*} * 1000 + frac * 10 ))
}
T0=$(now_ms)
mark() { echo "@@mdio-emu {\"kind\":\"$1\",\"t\":$(( $(now_ms) - T0 ))${2:+,$2}}"; }
payload() { while IFS= read -r line; do echo "@@mdio-emu|$1$line"; done; }
trace_mark() { echo "mdio-emu $1" > $T/trace_marker; }
wait_until() {
  left=$(( T0 + $1 - $(now_ms) ))
  [ $left -gt 0 ] && usleep $(( left * 1000 ))
}
run_logged() {
  index=$1
  shift
  out=$("$@" 2>&1)
  rc=$?
  mark command "\"index\":$index,\"rc\":$rc"
  echo "$*" | payload "cmd "
  [ -n "$out" ] && echo "$out" | payload "out "
  return 0
}
write_sysfs() { echo -n "$1" > "$2"; }
of_node_of() {
  of=$(readlink "$1/of_node" 2>/dev/null) || return 0
  echo "/${of#*/devicetree/base/}"
}
driver_of() {
  drv=$(readlink "$1/driver" 2>/dev/null) || return 0
  echo "${drv##*/}"
}
# Device state, one line per device: what expectations are checked against.
snapshot() {
  mark snapshot "$1"
  while IFS= read -r line; do
    name=${line%%	*}
    of=""
    for d in /sys/bus/*/devices/$name; do [ -e "$d" ] && of=$(of_node_of "$d"); done
    # A USB interface of a multi-interface or vendor-class device has no node of its own; its driver (lan78xx)
    # reads its device's node, so report that one.
    [ -z "$of" ] && [ -e /sys/bus/usb/devices/$name ] && of=$(of_node_of "$(readlink -f /sys/bus/usb/devices/$name)/..")
    echo "deferred name=$name of_node=$of reason=${line#*	}"
  done < /sys/kernel/debug/devices_deferred | payload
  for d in /sys/bus/mdio_bus/devices/*; do
    [ -e "$d" ] || continue
    echo "mdio name=${d##*/} phy_id=$(cat $d/phy_id 2>/dev/null) of_node=$(of_node_of $d) driver=$(driver_of $d)"
  done | payload
  # Only devices of the scenario's own DT nodes ($WATCH, set by the generated part): listing all of
  # QEMU's platform devices costs a third of a second of guest time per snapshot.
  for bus in usb i2c platform; do
    for d in /sys/bus/$bus/devices/*; do
      [ -e "$d/of_node" ] || continue
      of=$(of_node_of $d)
      case " $WATCH " in *" $of "*) echo "device bus=$bus name=${d##*/} of_node=$of driver=$(driver_of $d)" ;; esac
    done
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

mark init "\"uptimeMs\":$T0"
trace_mark init
