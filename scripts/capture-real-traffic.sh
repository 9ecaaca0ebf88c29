#!/usr/bin/env bash
# Captures a real Linux MPTCP exchange into a pcap file:
#   scripts/capture-real-traffic.sh OUT.pcap
# Two network namespaces joined by two veth pairs (10.0.1.0/24 and 10.0.2.0/24). The server
# announces its second address (ADD_ADDR), the client joins it (MP_JOIN), and a small transfer
# runs over both subflows (DSS). tcpdump records everything on the client side (-i any).
#
# Nothing touches the host's network, and nothing outlives the script: the script re-executes
# itself under `unshare --net --pid --fork --kill-child`, so the client namespace is its own and
# the server namespace is held by a child process of the same PID namespace; when the script
# ends (or is killed) the kernel kills every process in it and both namespaces disappear.
# Needs root, iproute2 with `ip mptcp`, tcpdump, python3.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT.pcap" >&2
  exit 2
fi
OUT=$(realpath -m "$1")

if [ "${MPTCPDRILL_CAPTURE_INNER:-}" != 1 ]; then
  exec env MPTCPDRILL_CAPTURE_INNER=1 unshare --net --pid --fork --kill-child --mount-proc "$0" "$OUT"
fi

PORT=5201
ip link set lo up

# Server namespace: a child that enters a fresh network namespace and waits there.
unshare --net sleep 600 &
SERVER_PID=$!
for _ in $(seq 200); do
  [ "$(readlink /proc/$SERVER_PID/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.01
done
server() { nsenter -t "$SERVER_PID" -n "$@"; }

ip link add c1 type veth peer name s1 netns "$SERVER_PID"
ip link add c2 type veth peer name s2 netns "$SERVER_PID"
ip addr add 10.0.1.1/24 dev c1
ip addr add 10.0.2.1/24 dev c2
ip link set c1 up
ip link set c2 up
server ip link set lo up
server ip addr add 10.0.1.2/24 dev s1
server ip addr add 10.0.2.2/24 dev s2
server ip link set s1 up
server ip link set s2 up

# Without this, veth leaves TCP checksums to an offload that never happens, and the capture
# holds partial checksums. No ethtool needed: the ioctl is made from python (ETHTOOL_STXCSUM).
no_tx_checksum() {
  python3 - "$@" <<'PY'
import array, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for name in sys.argv[1:]:
    value = array.array("B", struct.pack("II", ETHTOOL_STXCSUM, 0))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, struct.pack("16sP", name.encode(), value.buffer_info()[0]))
PY
}
no_tx_checksum c1 c2
server bash -c "$(declare -f no_tx_checksum); no_tx_checksum s1 s2"

sysctl -qw net.mptcp.enabled=1
server sysctl -qw net.mptcp.enabled=1
# The server announces 10.0.2.2; the client accepts the announcement and opens a subflow to it.
server ip mptcp limits set subflows 2 add_addr_accepted 2
server ip mptcp endpoint add 10.0.2.2 dev s2 signal
ip mptcp limits set subflows 2 add_addr_accepted 2
# An endpoint for the client's initial address, so that marking it backup later sends MP_PRIO
# on the first subflow and moves the rest of the data to the joined one.
ip mptcp endpoint add 10.0.1.1 dev c1 id 1

tcpdump -i any -s 0 -U -Z root -w "$OUT" "tcp port $PORT" 2>"$OUT.tcpdump.log" &
TCPDUMP_PID=$!
for _ in $(seq 300); do
  grep -q 'listening on' "$OUT.tcpdump.log" 2>/dev/null && break
  sleep 0.01
done

server python3 - "$PORT" "$OUT.ready" <<'PY' &
import socket, sys
IPPROTO_MPTCP = 262
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", int(sys.argv[1])))
srv.listen(1)
open(sys.argv[2], "w").close()  # tell the script we are listening
conn, _ = srv.accept()
total = 0
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    total += len(chunk)
conn.sendall(b"received %d bytes\n" % total)
conn.close()
srv.close()
PY
SERVER_PY=$!
for _ in $(seq 500); do
  [ -e "$OUT.ready" ] && break
  sleep 0.01
done

python3 - "$PORT" <<'PY'
import socket, subprocess, sys, time
IPPROTO_MPTCP = 262
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
s.connect(("10.0.1.2", port))
# Let the ADD_ADDR arrive and the second subflow (MP_JOIN) come up before sending data.
time.sleep(0.3)
# Small writes, spaced out, so that segments are not coalesced (and the capture stays small).
def send(count):
    for i in range(count):
        s.sendall(bytes([65 + i % 26]) * 700)
        time.sleep(0.01)
send(8)
# Mark the first subflow's endpoint backup: MP_PRIO on subflow 1, data moves to subflow 2.
subprocess.run(["ip", "mptcp", "endpoint", "change", "id", "1", "backup"], check=True)
time.sleep(0.1)
send(8)
s.shutdown(socket.SHUT_WR)
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
s.close()
print(reply.decode().strip())
PY

wait "$SERVER_PY"
sleep 0.3  # let the closing segments reach the capture
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
rm -f "$OUT.tcpdump.log" "$OUT.ready"
