#!/bin/sh
# /bin/ethtool in the mdio-emu QEMU guest. Debian 12's ethtool is 6.1, which has no --show-pse/--set-pse
# (ethtool 6.2 added them): those go to pse-tool (pse-tool.c, same arguments and output), the rest to Debian's.
case "$1" in
  --show-pse|--set-pse) exec /usr/sbin/pse-tool "$@" ;;
esac
exec /usr/sbin/ethtool "$@"
