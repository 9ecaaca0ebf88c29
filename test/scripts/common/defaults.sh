#!/bin/sh
# Shared defaults of the corpus, in the style of the MPTCP packetdrill suite's
# gtests/net/common/defaults.sh. Every script's init command runs it (relative to the script's
# directory) inside the test namespace, so expectations do not depend on the host's tuning:
# tcp_rmem[2] = 15728640 gives window scale 8 (Linux net/ipv4/tcp_output.c), timestamps and SACK on,
# reno instead of the host's bbr (no pacing; a network namespace may only pick an allowed
# algorithm, and this kernel allows reno and bbr there, not cubic as upstream's defaults ask),
# MPTCP enabled without checksums.
set -e

sysctl -q net.ipv4.tcp_timestamps=1
sysctl -q net.ipv4.tcp_sack=1
sysctl -q net.ipv4.tcp_dsack=1
sysctl -q net.ipv4.tcp_window_scaling=1
sysctl -q net.ipv4.tcp_rmem="4096 540000 15728640"
sysctl -q net.ipv4.tcp_wmem="4096 16384 4194304"
sysctl -q net.ipv4.tcp_congestion_control=reno
sysctl -q net.ipv4.tcp_recovery=1
sysctl -q net.ipv4.tcp_early_retrans=3
sysctl -q net.ipv4.tcp_ecn=0
sysctl -q net.ipv4.tcp_fastopen=1
sysctl -q net.ipv4.tcp_syncookies=1

sysctl -q net.mptcp.enabled=1
sysctl -q net.mptcp.checksum_enabled=0
sysctl -q net.mptcp.allow_join_initial_addr_port=1
sysctl -q net.mptcp.add_addr_timeout=120
# A fresh namespace per script already avoids the active-MPTCP blackhole disable; be explicit.
sysctl -q net.mptcp.blackhole_timeout=0
