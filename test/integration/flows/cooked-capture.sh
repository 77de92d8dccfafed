#!/usr/bin/env bash
# Capture a traffic mix on the `any` device (Linux cooked headers) for the decoder test.
# usage: cooked-capture.sh OUT.pcap LINUX_SLL|LINUX_SLL2 [SNAPLEN]
# Private namespaces named with the fsd prefix + this shell's pid, removed on exit even on failure.
set -euo pipefail
out=$(realpath -m "$1"); dlt=${2:-LINUX_SLL2}; snap=${3:-128}
. "$(dirname "$0")/netns-pair.sh"
netns_pair c 10.80.0 fd80
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
