#!/bin/bash
# Regenerate captured-bird.txt: `birdc show protocols` of BIRD 1.6.8 (the base of calico-node's
# BIRD) running a Calico-like bird.cfg (static blackhole for the node's block, kernel, device,
# direct, one node-to-node mesh iBGP session) in two network namespaces. Run as root; BIRD is
# not installed, the Debian package is unpacked: `apt-get download bird && dpkg -x bird_*.deb DIR`,
# then `BIRD=DIR/usr/sbin bash src/engine/shell/golden/capture-bird.sh`. Takes about 30 s.
set -u
[ "${PWB_INNER:-}" = 1 ] || exec unshare --net --mount --propagation private env PWB_INNER=1 bash "$0" "$@"
cd "$(dirname "$0")"
mount -t tmpfs pwB-netns /run/netns
T=$(mktemp -d /tmp/pwB-cap.XXXX)
trap 'for i in 1 2; do kill "$(cat "$T/n$i.pid" 2>/dev/null)" 2>/dev/null; done; sleep 1; ip netns del pwB-n1; ip netns del pwB-n2; rm -rf "$T"' EXIT
for i in 1 2; do
  o=$((3 - i))
  cat >"$T/n$i.conf" <<CONF
router id 192.168.56.1$i;
protocol static { route 10.244.$i.0/24 blackhole; }
protocol kernel { learn; persist; scan time 2; import all; export all; graceful restart; merge paths on; }
protocol device { debug { states }; scan time 2; }
protocol direct { debug { states }; interface -"cali*", -"kube-ipvs*", "*"; }
template bgp bgp_template { debug { states }; description "Connection to BGP peer"; local as 64512; multihop; gateway recursive; import all; export all; add paths on; graceful restart; connect delay time 2; connect retry time 5; error wait time 5,30; }
protocol bgp Mesh_192_168_56_1$o from bgp_template { neighbor 192.168.56.1$o as 64512; source address 192.168.56.1$i; }
CONF
done
ip netns add pwB-n1; ip netns add pwB-n2
ip link add eth0 netns pwB-n1 type veth peer name eth0 netns pwB-n2
for i in 1 2; do ip -n pwB-n$i link set lo up; ip -n pwB-n$i addr add 192.168.56.1$i/24 dev eth0; ip -n pwB-n$i link set eth0 up; done
for i in 1 2; do ip netns exec pwB-n$i "$BIRD/bird" -c "$T/n$i.conf" -s "$T/n$i.ctl" -P "$T/n$i.pid"; done
sleep 25
{
  echo '### birdc show protocols'; ip netns exec pwB-n1 "$BIRD/birdc" -s "$T/n1.ctl" show protocols; echo "rc $?"
  echo '### birdc show bogus'; ip netns exec pwB-n1 "$BIRD/birdc" -s "$T/n1.ctl" show bogus; echo "rc $?"
  echo '### birdc -s /nope.ctl show protocols'; ip netns exec pwB-n1 "$BIRD/birdc" -s /nope.ctl show protocols 2>&1; echo "rc $?"
} > captured-bird.txt
