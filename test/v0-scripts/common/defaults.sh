#!/bin/sh
# Defaults of the v0 corpus: the main corpus' defaults (test/scripts/common/defaults.sh), then
# the bundled stack's v0 mode. `net.mptcp.mptcp_version` is the out-of-tree multipath-tcp.org
# kernel's key; upstream Linux has none, so on the kernel target this line fails (v0 scripts
# are for the ts target, or for a v0 stack behind the remote target).
set -e
"$(dirname "$0")/../../scripts/common/defaults.sh"
sysctl -q net.mptcp.mptcp_version=0
