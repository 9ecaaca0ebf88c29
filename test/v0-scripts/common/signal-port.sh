#!/bin/sh
# As test/scripts/common/server.sh (IPv4 only), with the `signal` endpoint on port 9090: a second
# local address, OPT_LOCAL_IP + 1 in the last byte (id 1), announced with that port; limits 8/8.
set -e
next="${OPT_LOCAL_IP%.*}.$((${OPT_LOCAL_IP##*.} + 1))"
ip addr add "$next/16" dev "$OPT_LOCAL_DEV"
ip mptcp limits set subflows 8 add_addr_accepted 8
ip mptcp endpoint add "$next" dev "$OPT_LOCAL_DEV" port 9090 signal
