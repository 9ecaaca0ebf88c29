#!/bin/bash
#
# Set standard defaults for network tests, in the form of the packetdrill suites' common
# defaults.sh (google/packetdrill and multipath-tcp/packetdrill gtests/net/common/): redirections,
# $((…)), two keys in one call, an obsolete key, a key this kernel no longer has under -e, a tc
# line. The bundled stack runs it in-process, with no process and no skip.

# Flush old cached data (fastopen cookies).
ip tcp_metrics flush all > /dev/null 2>&1
# TCP min, default, and max receive and send buffer sizes.
sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"
sysctl -q net.ipv4.tcp_wmem="4096 $((256*1024)) 4194304"
# TCP timestamps and SACK.
sysctl -q net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1
# TCP FACK: Linux ignores it since 4.15 but still lists it.
sysctl -q net.ipv4.tcp_fack=1
sysctl -q net.ipv4.tcp_dsack=1
sysctl -q net.ipv4.tcp_early_retrans=3
sysctl -q net.ipv4.tcp_ecn=0
# Upstream asks for cubic; this host allows only reno and bbr.
sysctl -q net.ipv4.tcp_congestion_control=reno
sysctl -q net.ipv4.tcp_fastopen_key=a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4
sysctl -q net.ipv4.tcp_syncookies=1
sysctl -q net.ipv4.tcp_min_tso_segs=2
# Gone since Linux 4.14: -e makes sysctl ignore it, as portable suites write.
sysctl -q -e net.ipv4.tcp_thin_dupack=0
sysctl -q net.mptcp.enabled=1 net.mptcp.checksum_enabled=0
# A plain FIFO: on the kernel no pacing by a qdisc; the bundled stack never paces.
tc qdisc replace dev "${OPT_LOCAL_DEV:-tun0}" root pfifo > /dev/null 2>&1
