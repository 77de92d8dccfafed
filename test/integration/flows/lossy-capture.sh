#!/usr/bin/env bash
# Capture TCP traffic that suffers real loss, for the retransmission test (test-only helper).
# usage: lossy-capture.sh OUT.pcap [SECONDS] [SNAPLEN] [sender|receiver]
# Topology (private namespaces, fsd prefix + this shell's pid): A --veth-- R --veth-- B.
# R forwards A->B through a small token bucket (tbf) that tail-drops bursts. Captured at the
# sender (A's interface) both the lost originals and their retransmissions are seen; at the
# receiver (B's interface) the retransmissions fill gaps. (This kernel has no netem.)
# Everything is removed on exit, even on failure.
set -euo pipefail
out=$(realpath -m "$1"); secs=${2:-3}; snap=${3:-128}; side=${4:-sender}
A=fsdA$$; R=fsdR$$; B=fsdB$$
cleanup() {
  for ns in $A $R $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; done
  sleep 0.2
  for ns in $A $R $B; do ip netns del $ns 2>/dev/null || true; done
}
trap cleanup EXIT
for ns in $A $R $B; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add fsda$$ netns $A type veth peer name fsdra$$ netns $R
ip link add fsdb$$ netns $B type veth peer name fsdrb$$ netns $R
ip -n $A addr add 10.78.1.1/24 dev fsda$$; ip -n $R addr add 10.78.1.2/24 dev fsdra$$
ip -n $B addr add 10.78.2.1/24 dev fsdb$$; ip -n $R addr add 10.78.2.2/24 dev fsdrb$$
for l in "$A fsda$$" "$R fsdra$$" "$R fsdrb$$" "$B fsdb$$"; do
  set -- $l; ip -n $1 link set $2 up; ip netns exec $1 ethtool -K $2 tso off gso off gro off >/dev/null 2>&1 || true
done
ip -n $A route add default via 10.78.1.2; ip -n $B route add default via 10.78.2.2
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1
ip netns exec $R tc qdisc add dev fsdrb$$ root tbf rate 30mbit burst 20kb latency 4ms
ip netns exec $B iperf3 -s -D -1 -p 5301 >/dev/null
if [ "$side" = receiver ]; then cap="$B fsdb$$"; else cap="$A fsda$$"; fi
set -- $cap
ip netns exec "$1" tcpdump -i "$2" -s "$snap" -U -w "$out" 2>/dev/null &
tp=$!
sleep 1
ip netns exec $A iperf3 -c 10.78.2.1 -p 5301 -t "$secs" -P 2 >/dev/null || true
sleep 0.5
kill $tp; wait $tp 2>/dev/null || true
