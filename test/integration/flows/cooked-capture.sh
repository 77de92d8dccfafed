#!/usr/bin/env bash
# Capture a traffic mix on the `any` device (Linux cooked headers) for the decoder test.
# usage: cooked-capture.sh OUT.pcap LINUX_SLL|LINUX_SLL2 [SNAPLEN]
# Private namespaces named with the fsd prefix + this shell's pid, removed on exit even on failure.
set -euo pipefail
out=$(realpath -m "$1"); dlt=${2:-LINUX_SLL2}; snap=${3:-128}
A=fsdcA$$; B=fsdcB$$
cleanup() {
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.2
  ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add fsdca$$ netns $A type veth peer name fsdcb$$ netns $B
ip -n $A addr add 10.80.0.1/24 dev fsdca$$; ip -n $B addr add 10.80.0.2/24 dev fsdcb$$
ip -n $A -6 addr add fd80::1/64 dev fsdca$$ nodad; ip -n $B -6 addr add fd80::2/64 dev fsdcb$$ nodad
ip -n $A link set fsdca$$ up; ip -n $B link set fsdcb$$ up
ip netns exec $B iperf3 -s -D -1 -p 5501 >/dev/null
ip netns exec $B iperf3 -s -D -1 -p 5502 >/dev/null
ip netns exec $A tcpdump -i any -y "$dlt" -s "$snap" -U -w "$out" 2>/dev/null &
tp=$!
sleep 1
ip netns exec $A ping -q -c 5 -i 0.1 10.80.0.2 >/dev/null
ip netns exec $A ping -q -c 5 -i 0.1 fd80::2 >/dev/null
ip netns exec $A iperf3 -c fd80::2 -p 5501 -t 1 -b 10M >/dev/null 2>&1 || true
ip netns exec $A iperf3 -u -c 10.80.0.2 -p 5502 -t 1 -b 2M -l 1000 >/dev/null 2>&1 || true
sleep 0.5
kill $tp; wait $tp 2>/dev/null || true
