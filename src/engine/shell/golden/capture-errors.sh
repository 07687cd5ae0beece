#!/bin/bash
# Regenerate captured-errors.txt: the real tools' errors and JSON output that the simulated
# shell must match beyond the exercises in capture.sh (iptables-legacy 1.8.9, iproute2 6.1.0),
# run as root. Same block format and the same stand-in root netns (`unshare --net`, here with
# a private mount namespace and /run/netns) as capture.sh; namespaces are named pwE-* and
# deleted at the end. `iptables` here is iptables-legacy (a PATH shim), as the simulator's
# `iptables` is. Takes a few seconds.
# Usage: bash src/engine/shell/golden/capture-errors.sh
set -u
[ "${PWG_INNER:-}" = 1 ] || exec unshare --net --mount --propagation private env PWG_INNER=1 bash "$0" "$@"
cd "$(dirname "$0")"
# A private /run/netns: `ip netns list` shows this script's namespaces only, not the host's.
mount -t tmpfs pwE-netns /run/netns

OUT=$PWD/captured-errors.txt
: > "$OUT"
TMP=$(mktemp -d /tmp/pwE-cap.XXXX)
ln -s "$(command -v iptables-legacy)" "$TMP/iptables"
export PATH=$TMP:$PATH
cleanup() {
  for n in $(ip netns list | awk '{print $1}' | grep '^pwE-'); do ip netns del "$n"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
cap() {
  local cmd=$1
  bash -c "$cmd" >"$TMP/o" 2>"$TMP/e"; local rc=$?
  { printf '### %s\n' "$cmd"; printf 'rc %d\n' "$rc"; printf '>>> stdout\n'; cat "$TMP/o"; printf '>>> stderr\n'; cat "$TMP/e"; printf '<<<\n'; } >>"$OUT"
}
noipv6() { sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }

noipv6
ip link set lo up
# The bridge exercise, uncaptured (capture.sh records these commands).
ip netns add pwE-a; ip netns exec pwE-a sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add cni0 type bridge; ip link set cni0 up; ip addr add 10.244.1.1/24 dev cni0
ip link add veth-a type veth peer name eth0 netns pwE-a
ip link set veth-a master cni0; ip link set veth-a up
ip -n pwE-a addr add 10.244.1.2/24 dev eth0; ip -n pwE-a link set eth0 up; ip -n pwE-a link set lo up
ip -n pwE-a route add default via 10.244.1.1

# ---- iptables parses the rule (loading targets and matches) before it asks for the chain
cap 'iptables -A FOO -j BOGUS'
cap 'iptables -A FOO -j ACCEPT'
cap 'iptables -A INPUT -j BOGUS'
cap 'iptables -I FOO -j BOGUS'
cap 'iptables -D FOO -j BOGUS'
cap 'iptables -D FOO 1'
cap 'iptables -R FOO 1 -j BOGUS'
cap 'iptables -t nat -A FOO -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:80'
cap 'iptables -t nat -A FOO -j KUBE-SVC-NOPE'

# ---- ip route's table argument
cap 'ip route show table foo'
cap 'ip route show table 100'
cap 'ip route show table main'
cap 'ip route add 10.9.0.0/16 dev cni0 table foo'
cap 'ip -j route show table foo'
cap 'ip -j route show table 100'
cap 'ip -j route show table local'
cap 'ip -j route show table all'

# ---- JSON (-j, -j -p) of bridge and ip
cap 'bridge -j link'
cap 'bridge -j link show dev veth-a'
cap 'bridge -j -p link show dev veth-a'
cap 'bridge -j fdb show dev veth-a'
cap 'bridge -j -p fdb show dev veth-a'
ip link add vxlan0 type vxlan id 42 dstport 4789 local 10.244.1.1 nolearning
ip link add vx1 type vxlan id 43 remote 192.168.1.20 dstport 8472 dev cni0
cap 'bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20 vni 100'
cap 'bridge fdb show dev vxlan0'
cap 'bridge -j fdb show dev vxlan0'
cap 'bridge -j fdb show dev vx1'
cap 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0'
cap 'ip -j neigh show dev cni0'
cap 'ip -j neigh'
cap 'ip netns exec pwE-a ip -j route get 10.244.1.1'
cap 'ip -j netns list'
cap 'ip -j -br link'
cap 'ip -j -br addr'
cap 'ip -br -j addr show cni0'
cap 'ip -j rule'
echo "captured $(grep -c '^### ' "$OUT") commands into $OUT"
