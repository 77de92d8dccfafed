#!/usr/bin/env bash
# Capture fragmented IPv4/IPv6 UDP and ICMP traffic for the fragment test (test-only helper).
# usage: fragment-capture.sh OUT.pcap [SNAPLEN]
# Private namespaces named with the fsd prefix + this shell's pid, removed on exit even on failure.
set -euo pipefail
out=$(realpath -m "$1"); snap=${2:-128}
A=fsdfA$$; B=fsdfB$$
cleanup() {
  for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.2
  ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
ip netns add $A; ip netns add $B
ip link add fsdfa$$ netns $A type veth peer name fsdfb$$ netns $B
ip -n $A addr add 10.79.0.1/24 dev fsdfa$$; ip -n $B addr add 10.79.0.2/24 dev fsdfb$$
ip -n $A -6 addr add fd79::1/64 dev fsdfa$$ nodad; ip -n $B -6 addr add fd79::2/64 dev fsdfb$$ nodad
ip -n $A link set fsdfa$$ up; ip -n $B link set fsdfb$$ up
ip netns exec $B iperf3 -s -D -1 -p 5401 >/dev/null
ip netns exec $B iperf3 -s -D -1 -p 5402 >/dev/null
ip netns exec $A tcpdump -i fsdfa$$ -s "$snap" -U -w "$out" 2>/dev/null &
tp=$!
sleep 1
ip netns exec $A ping -q -c 3 -i 0.2 -s 3000 10.79.0.2 >/dev/null
ip netns exec $A ping -q -c 3 -i 0.2 -s 3000 fd79::2 >/dev/null
ip netns exec $A iperf3 -u -c 10.79.0.2 -p 5401 -l 3000 -b 1M -t 1 >/dev/null 2>&1 || true
ip netns exec $A iperf3 -u -c fd79::2 -p 5402 -l 3000 -b 1M -t 1 >/dev/null 2>&1 || true
sleep 0.5
kill $tp; wait $tp 2>/dev/null || true
