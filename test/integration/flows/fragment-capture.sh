#!/usr/bin/env bash
# Capture fragmented IPv4/IPv6 UDP and ICMP traffic for the fragment test (test-only helper).
# usage: fragment-capture.sh OUT.pcap [SNAPLEN]
# Private namespaces named with the fsd prefix + this shell's pid, removed on exit even on failure.
set -euo pipefail
out=$(realpath -m "$1"); snap=${2:-128}
. "$(dirname "$0")/netns-pair.sh"
netns_pair f 10.79.0 fd79
ip netns exec $B iperf3 -s -D -1 -p 5401 >/dev/null
ip netns exec $B iperf3 -s -D -1 -p 5402 >/dev/null
ip netns exec $A tcpdump -i $VA -s "$snap" -U -w "$out" 2>/dev/null &
tp=$!
sleep 1
ip netns exec $A ping -q -c 3 -i 0.2 -s 3000 10.79.0.2 >/dev/null
ip netns exec $A ping -q -c 3 -i 0.2 -s 3000 fd79::2 >/dev/null
ip netns exec $A iperf3 -u -c 10.79.0.2 -p 5401 -l 3000 -b 1M -t 1 >/dev/null 2>&1 || true
ip netns exec $A iperf3 -u -c fd79::2 -p 5402 -l 3000 -b 1M -t 1 >/dev/null 2>&1 || true
sleep 0.5
kill $tp; wait $tp 2>/dev/null || true
