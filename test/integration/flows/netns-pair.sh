# Sourced by the capture helpers: two private namespaces joined by a veth pair, removed on exit
# even on failure. usage: netns_pair TAG V4 V6   (names fsd<TAG>A/B + this shell's pid;
# A = V4.1 and V6::1, B = V4.2 and V6::2). Sets A, B (namespaces) and VA, VB (interfaces).
netns_pair() {
  local tag=$1 v4=$2 v6=$3
  A=fsd${tag}A$$; B=fsd${tag}B$$; VA=fsd${tag}a$$; VB=fsd${tag}b$$
  trap 'for ns in $A $B; do ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true; done
        sleep 0.2; ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true' EXIT
  ip netns add $A; ip netns add $B
  ip link add $VA netns $A type veth peer name $VB netns $B
  ip -n $A addr add $v4.1/24 dev $VA; ip -n $B addr add $v4.2/24 dev $VB
  ip -n $A -6 addr add $v6::1/64 dev $VA nodad; ip -n $B -6 addr add $v6::2/64 dev $VB nodad
  ip -n $A link set $VA up; ip -n $B link set $VB up
}
