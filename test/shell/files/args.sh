#!/bin/sh
echo "$# args: $*"
for a in "$@"; do echo "[$a]"; done
shift
echo "after shift: $1"
