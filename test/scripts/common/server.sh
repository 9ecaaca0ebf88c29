#!/bin/sh
# Multipath server set-up, as the MPTCP suite's common/server.sh: a second local address
# (OPT_LOCAL_IP + 1 in the last byte) announced as a `signal` endpoint (it gets id 1), and
# limits 8/8 so joins towards it are accepted.
set -e

case "$OPT_IP_VERSION" in
ipv6)
	base=${OPT_LOCAL_IP%:*}
	last=${OPT_LOCAL_IP##*:}
	next="$base:$(printf '%x' $((0x${last:-0} + 1)))"
	ip addr add "$next/64" dev "$OPT_LOCAL_DEV" nodad
	;;
*)
	base=${OPT_LOCAL_IP%.*}
	last=${OPT_LOCAL_IP##*.}
	next="$base.$((last + 1))"
	ip addr add "$next/16" dev "$OPT_LOCAL_DEV"
	;;
esac

ip mptcp limits set subflows 8 add_addr_accepted 8
ip mptcp endpoint add "$next" dev "$OPT_LOCAL_DEV" signal
