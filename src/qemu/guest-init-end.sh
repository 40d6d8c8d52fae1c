# Guest /init epilogue: dump the traces and the kernel log, then power off.
echo 0 > $T/tracing_on
mark trace
grep -v '^#' $T/trace | payload
mark dmesg
dmesg | payload
mark done
poweroff -f
