#!/bin/sh
# A setup script in the style of the packetdrill suites' common scripts.
set -e
here=$(dirname "$0")
. "$here/lib.sh"
greet "from setup"
for n in 1 2 3; do
	total=$((${total:-0} + n))
done
echo "total=$total"
case "$OPT_IP_VERSION" in
ipv6) echo six ;;
ipv4*) echo four ;;
*) echo other ;;
esac
base=${OPT_LOCAL_IP%.*}
last=${OPT_LOCAL_IP##*.}
echo "next=$base.$((last + 1))"
printf '%x %05d %-4s|\n' 255 42 ab
