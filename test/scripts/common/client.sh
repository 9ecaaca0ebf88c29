#!/bin/sh
# Multipath client set-up, as the MPTCP suite's common/client.sh: limits only, so an address
# the script announces is accepted and joined.
set -e
ip mptcp limits set subflows 8 add_addr_accepted 8
