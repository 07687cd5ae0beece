#!/bin/sh
# packetwalk node collector.
#
# Run it on a Kubernetes node, as root, and give its output to packetwalk:
#
#     sudo sh collect-node.sh > "$(hostname).bundle.txt"
#     packetwalk import node1.bundle.txt           # or paste it into the app
#
# What it does: prints the output of read-only commands (ip, bridge, iptables-save,
# sysctl, conntrack) and a few small files, each under a "### cmd:" or "### file:" line.
# It changes nothing on the node and makes no network connections. Commands that are not
# installed are skipped and say so. Read the output before you share it: it contains your
# node's addresses, rules and connections.

LC_ALL=C
export LC_ALL
PATH=$PATH:/usr/sbin:/sbin

# One section: a marker line, then what the command printed (errors included).
run() {
  prog=${1%% *}
  echo "### cmd: $1"
  if command -v "$prog" >/dev/null 2>&1; then
    sh -c "$1" 2>&1 || echo "### exit-status: $? ($1)"
  else
    echo "### missing: $prog is not installed"
  fi
}

# One section per readable file.
show() {
  for f in "$@"; do
    if [ -f "$f" ] && [ -r "$f" ]; then
      echo "### file: $f"
      cat "$f"
      echo
    fi
  done
}

node=$(hostname 2>/dev/null || uname -n)
echo "### packetwalk-bundle v1 node=$node"
echo "### note: collected by collect-node.sh as uid $(id -u 2>/dev/null || echo '?')"

run "ip -d addr"
run "ip -d link"
run "ip -4 route show table all"
run "ip rule"
run "ip neigh"
run "bridge fdb show"
run "bridge -d link"

# iptables: the version line tells the backend, "(nf_tables)" or "(legacy)".
run "iptables -V"
run "iptables-save"
# When both backends hold rules, iptables-save warns; then show the legacy tables too.
if command -v iptables-legacy-save >/dev/null 2>&1 && iptables-save 2>&1 | grep -q 'iptables-legacy tables present'; then
  run "iptables-legacy-save"
fi
# The sets `-m set` rules test (Calico's cali40*, kube-proxy's IPVS mode).
if command -v ipset >/dev/null 2>&1; then
  run "ipset save"
fi
# kube-proxy in IPVS or nftables mode keeps its Services elsewhere.
if command -v ipvsadm >/dev/null 2>&1; then
  run "ipvsadm -Ln"
fi
if command -v nft >/dev/null 2>&1 && nft list tables 2>/dev/null | grep -q 'kube-proxy'; then
  run "nft list table ip kube-proxy"
fi

run "sysctl net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.conf.all.route_localnet"
# Per-interface values that change forwarding (Calico's cali* use proxy_arp).
run "sysctl -a 2>/dev/null | grep -E '^net\.ipv4\.conf\.[^.]+\.(rp_filter|proxy_arp)'"

# Connection tracking can be large on a busy node: the first 20000 entries are enough.
if command -v conntrack >/dev/null 2>&1; then
  run "conntrack -L 2>&1 | head -n 20000"
else
  show /proc/net/nf_conntrack
fi

show /etc/resolv.conf /run/flannel/subnet.env
for f in /etc/cni/net.d/*; do show "$f"; done

echo "### end"
