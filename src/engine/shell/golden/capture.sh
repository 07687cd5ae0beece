#!/bin/bash
# Regenerate captured.txt: real output of the commands the simulated shell answers, run as
# root on this machine (iproute2 6.1.0, iputils 20221126, tcpdump 4.99.3, curl 7.88.1,
# netcat-openbsd 1.219, BIND 9.18 dig/nslookup, procps sysctl, conntrack-tools 1.4.7).
# Usage: bash src/engine/shell/golden/capture.sh   (writes captured.txt beside this script)
#
# Everything runs inside an anonymous network namespace (`unshare --net`) standing in for the
# host's root netns, so `ip link` inside a pod prints `link-netnsid 0` as on a real machine.
# Named namespaces carry the prefix pwG- and are deleted at the end; background servers
# (socat, dnsmasq, tcpdump) are stopped by their PIDs. IPv6 is disabled in every namespace
# (the simulator models IPv4 only), so no inet6 lines appear.
# Each block: `### <command as typed>`, `rc N`, `>>> stdout`, `>>> stderr`, `<<<`.
set -u
cd "$(dirname "$0")"
[ "${PWG_INNER:-}" = 1 ] || exec unshare --net env PWG_INNER=1 bash "$0" "$@"

OUT=$PWD/captured.txt
: > "$OUT"
TMP=$(mktemp -d /tmp/pwG-cap.XXXX)
PIDS=()
noipv6() { sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for n in $(ip netns list | awk '{print $1}' | grep '^pwG-'); do ip netns del "$n"; done
  rm -rf /etc/netns/pwG-a "$TMP"
}
trap cleanup EXIT
# cap 'command as typed' [filter]: run it here (the stand-in root netns), record it.
cap() {
  local cmd=$1 filter=${2:-cat}
  bash -c "$cmd" >"$TMP/o" 2>"$TMP/e"; local rc=$?
  { printf '### %s\n' "$cmd"; printf 'rc %d\n' "$rc"; printf '>>> stdout\n'; eval "$filter" <"$TMP/o"; printf '>>> stderr\n'; cat "$TMP/e"; printf '<<<\n'; } >>"$OUT"
}
# bg NAME 'command': start a background job (tcpdump) and remember its pid.
bgjob() { bash -c "exec $2" >"$TMP/$1.o" 2>"$TMP/$1.e" & PIDS+=($!); eval "PID_$1=$!"; sleep 1; }
# stopjob NAME 'as typed': stop it with SIGINT (Ctrl-C) and record what it printed.
stopjob() {
  local pid; eval "pid=\$PID_$1"; sleep 0.5; kill -INT "$pid"; wait "$pid" 2>/dev/null
  { printf '### %s\n' "$2"; printf 'rc 0\n>>> stdout\n'; cat "$TMP/$1.o"; printf '>>> stderr\n'; cat "$TMP/$1.e"; printf '<<<\n'; } >>"$OUT"
}
mine='grep "^pwG-"'

noipv6
ip link set lo up

# ---- Exercise 1: two netns on a bridge --------------------------------------------------
cap 'ip netns add pwG-a'
cap 'ip netns add pwG-b'
for n in pwG-a pwG-b; do ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
cap 'ip netns list' "$mine"
cap 'ip netns add pwG-a'
cap 'ip link add cni0 type bridge'
cap 'ip link show cni0'
cap 'ip link set cni0 up'
cap 'ip addr add 10.244.1.1/24 dev cni0'
cap 'ip addr show cni0'
cap 'ip link add veth-a type veth peer name eth0 netns pwG-a'
cap 'ip link add veth-b type veth peer name eth0-b'
cap 'ip link set eth0-b netns pwG-b'
cap 'ip netns list' "$mine"
cap 'ip netns exec pwG-b ip link set eth0-b name eth0'
cap 'ip link set veth-a master cni0'
cap 'ip link set veth-b master cni0'
cap 'ip link show'
cap 'bridge link'
cap 'ip link set veth-a up'
cap 'ip link set veth-b up'
cap 'ip netns exec pwG-a ip link'
cap 'ip netns exec pwG-a ip addr add 10.244.1.2/24 dev eth0'
cap 'ip netns exec pwG-a ip link set eth0 up'
cap 'ip netns exec pwG-a ip link set lo up'
cap 'ip netns exec pwG-b ip addr add 10.244.1.3/24 dev eth0'
cap 'ip netns exec pwG-b ip link set eth0 up'
cap 'ip netns exec pwG-a ip addr'
cap 'ip netns exec pwG-a ip route'
cap 'ip netns exec pwG-a ip route add default via 10.244.1.1'
cap 'ip netns exec pwG-a ip route add default via 10.244.1.1'
cap 'ip netns exec pwG-a ip route'
cap 'ip netns exec pwG-a ip -j route'
cap 'ip link show'
cap 'ip addr show'
cap 'ip -br link'
cap 'ip -br addr'
cap 'ip -br addr show cni0'
cap 'ip -d link show veth-a'
cap 'ip -d link show cni0'
cap 'ip -j addr show cni0'
cap 'ip -j link show veth-a'
cap 'bridge link'
cap 'bridge link show dev veth-a'
cap 'ip route'
bgjob tda 'tcpdump -i cni0 -n icmp'
bgjob tdb 'tcpdump -i cni0 -n -e'
bgjob tdc 'tcpdump -i veth-a -n arp or icmp'
cap 'ip netns exec pwG-a ping -c 3 10.244.1.3'
stopjob tda 'tcpdump -i cni0 -n icmp'
stopjob tdb 'tcpdump -i cni0 -n -e'
stopjob tdc 'tcpdump -i veth-a -n arp or icmp'
cap 'ip netns exec pwG-a ip neigh'
cap 'ip neigh'
cap 'ip netns exec pwG-a ip neigh show dev eth0'
cap 'bridge fdb show dev veth-a'
cap 'bridge fdb show br cni0 | grep -v 33:33 | grep -v 01:00:5e'
cap 'ip netns exec pwG-a ip route get 10.244.1.3'
cap 'ip netns exec pwG-a ip route get 8.8.8.8'
cap 'ip netns exec pwG-b ip route get 8.8.8.8'
cap 'ip route get 10.244.1.3'
cap 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0'
cap 'ip neigh add 10.244.1.9 lladdr 02:00:00:00:00:09 dev cni0'
cap 'ip neigh replace 10.244.1.9 lladdr 02:00:00:00:00:0a dev cni0'
cap 'ip neigh show 10.244.1.9'
cap 'bridge fdb add 02:00:00:00:00:0b dev veth-a master'
cap 'bridge fdb show dev veth-a'
cap 'bridge fdb del 02:00:00:00:00:0b dev veth-a master'

# ---- errors ---------------------------------------------------------------------------
cap 'ip foo'
cap 'ip link foo'
cap 'ip link set nodev up'
cap 'ip link show nodev'
cap 'ip addr show dev nodev'
cap 'ip link add cni0 type bridge'
cap 'ip link add x0 type bogus'
cap 'ip link del nodev'
cap 'ip link set veth-a master veth-b'
# The kernel detaches a port from its old bridge before it tries (and fails) to enslave it.
cap 'ip link show veth-a'
cap 'ip link set veth-a master cni0'
cap 'ip link set cni0 mtu 10'
cap 'ip addr add 10.244.1.1/24 dev cni0'
cap 'ip addr add 300.1.1.1/24 dev cni0'
cap 'ip addr add 10.244.1.1/24'
cap 'ip addr del 10.99.99.99/24 dev cni0'
cap 'ip route add 10.9.0.0/16 via 10.9.9.9'
cap 'ip route add 10.244.1.0/24 dev cni0'
cap 'ip route del 10.77.0.0/16'
cap 'ip route add 10.78.0.0/16 dev nodev'
cap 'ip netns exec pwG-nope ip addr'
cap 'ip netns exec pwG-a nosuchcmd'
cap 'ip netns del pwG-nope'
cap 'nosuchcmd --help'
cap 'ip link set veth-a netns pwG-nope'
cap 'ip link add veth-z type veth peer name eth0 netns pwG-a'
cap 'ip route get 300.1.1.1'

# ---- ping outcomes --------------------------------------------------------------------
cap 'ip netns exec pwG-a ping -c 2 10.244.1.9'
cap 'ip netns exec pwG-a ping -c 2 10.244.1.77'
cap 'ip netns exec pwG-b ping -c 1 8.8.8.8'
cap 'ip netns exec pwG-a ping -c 2 -W 1 10.50.0.1'
cap 'ip netns exec pwG-a ping -c 1 -s 1472 -M do 10.244.1.3'
cap 'ip netns exec pwG-a ping -c 1 -s 1473 -M do 10.244.1.3'
cap 'ip netns exec pwG-a ping -c 1 -s 100 10.244.1.3'
cap 'ip netns exec pwG-a ping -c 1 10.244.1.1'
cap 'ip netns exec pwG-a ping -c 1 127.0.0.1'
cap 'ip netns exec pwG-a ping -c 1 nosuchhost'
cap 'ip netns exec pwG-a ping'
# A router with a smaller MTU on the far side: PMTU discovery.
ip netns add pwG-c; ip netns exec pwG-c sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add veth-c type veth peer name eth0 netns pwG-c
ip link set veth-c mtu 1400 up; ip addr add 10.244.2.1/24 dev veth-c
ip netns exec pwG-c ip link set eth0 mtu 1400 up
ip netns exec pwG-c ip addr add 10.244.2.2/24 dev eth0
ip netns exec pwG-c ip route add default via 10.244.2.1
cap 'sysctl net.ipv4.ip_forward'
cap 'ip netns exec pwG-a ping -c 1 -W 1 10.244.2.2'
cap 'sysctl -w net.ipv4.ip_forward=1'
cap 'sysctl net.ipv4.ip_forward'
cap 'sysctl -n net.ipv4.ip_forward'
cap 'sysctl net.ipv4.nope'
cap 'sysctl -w net.ipv4.nope=1'
cap 'sysctl -w net.ipv4.ip_forward'
cap 'sysctl net.bridge.bridge-nf-call-iptables'
cap 'ip netns exec pwG-a ping -c 2 10.244.2.2'
cap 'ip netns exec pwG-a ping -c 2 -M do -s 1450 10.244.2.2'
cap 'ip netns exec pwG-a ip route get 10.244.2.2'
cap 'ip netns exec pwG-a ping -c 2 -s 1450 10.244.2.2'
ip netns exec pwG-a ip route flush cache
# conntrack in the router
iptables-legacy -t nat -A POSTROUTING -s 10.244.1.0/24 -o veth-c -j MASQUERADE
cap 'ip netns exec pwG-a ping -c 1 10.244.2.2'
cap 'conntrack -L'
cap 'conntrack -L -p icmp'

# ---- TCP/UDP services: curl, nc ---------------------------------------------------------
ip netns exec pwG-b socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'printf "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n"' >/dev/null 2>&1 & PIDS+=($!)
ip netns exec pwG-b socat UDP-RECVFROM:5353,fork SYSTEM:'echo pong' >/dev/null 2>&1 & PIDS+=($!)
sleep 1
bgjob tdt 'tcpdump -i cni0 -n tcp'
cap 'ip netns exec pwG-a curl -s 10.244.1.3'
cap 'ip netns exec pwG-a curl 10.244.1.3:81'
cap 'ip netns exec pwG-a curl http://10.244.1.3:81/'
cap 'ip netns exec pwG-a nc -vz 10.244.1.3 80'
cap 'ip netns exec pwG-a nc -vz 10.244.1.3 81'
stopjob tdt 'tcpdump -i cni0 -n tcp'
cap 'ip netns exec pwG-a nc -uvz 10.244.1.3 53'
cap 'ip netns exec pwG-a nc -uvz 10.244.1.3 5353'
cap 'ip netns exec pwG-a nc -vz -w 1 10.50.0.1 80'
cap 'ip netns exec pwG-a curl --connect-timeout 2 10.50.0.1'
cap 'ip netns exec pwG-a curl -m 2 10.50.0.1'
cap 'ip netns exec pwG-a curl 10.244.1.9'
cap 'ip netns exec pwG-b curl 8.8.8.8'
cap 'ip netns exec pwG-a curl http://nosuchname:80/'
cap 'ip netns exec pwG-a nc -vz 10.244.1.9 80'

# ---- DNS: dnsmasq in pwG-b plays CoreDNS ------------------------------------------------
mkdir -p /etc/netns/pwG-a
printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.244.1.3\noptions ndots:5\n' > /etc/netns/pwG-a/resolv.conf
ip netns exec pwG-b dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=10.244.1.3 --bind-interfaces --local=/cluster.local/ --address=/web.default.svc.cluster.local/10.96.45.123 --log-facility=- >/dev/null 2>&1 & PIDS+=($!)
sleep 1
bgjob tdd 'tcpdump -i cni0 -n udp port 53'
cap 'ip netns exec pwG-a cat /etc/resolv.conf'
cap 'ip netns exec pwG-a nslookup web'
stopjob tdd 'tcpdump -i cni0 -n udp port 53'
cap 'ip netns exec pwG-a nslookup web.default.svc.cluster.local'
cap 'ip netns exec pwG-a nslookup nope'
cap 'ip netns exec pwG-a nslookup nope.default.svc.cluster.local'
cap 'ip netns exec pwG-a dig +short web.default.svc.cluster.local'
cap 'ip netns exec pwG-a dig web.default.svc.cluster.local'
cap 'ip netns exec pwG-a dig nope.default.svc.cluster.local'
cap 'ip netns exec pwG-a dig +short nope.default.svc.cluster.local'
cap 'ip netns exec pwG-a dig +search +short web'
cap 'ip netns exec pwG-a dig @10.244.1.9 +time=1 +tries=1 web.default.svc.cluster.local'
cap 'ip netns exec pwG-a nslookup -timeout=1 -retry=0 web.default.svc.cluster.local 10.244.1.9'
cap 'ip netns exec pwG-a curl -s http://web.default.svc.cluster.local:81/'

# ---- tcpdump's decoding of TCP, DNS and ICMP errors (line-buffered, -l) --------------------
ip route add blackhole 10.50.0.0/16
ip netns exec pwG-a sysctl -qw net.ipv4.tcp_syn_retries=1
bgjob tdt2 'tcpdump -l -i cni0 -n tcp'
cap 'ip netns exec pwG-a curl -s 10.244.1.3'
cap 'ip netns exec pwG-a nc -vz 10.244.1.3 81'
stopjob tdt2 'tcpdump -l -i cni0 -n tcp'
bgjob tdu2 'tcpdump -l -i cni0 -n udp port 53'
cap 'ip netns exec pwG-a nslookup web'
cap 'ip netns exec pwG-a dig +short web.default.svc.cluster.local'
cap 'ip netns exec pwG-a nslookup nope.default.svc.cluster.local'
stopjob tdu2 'tcpdump -l -i cni0 -n udp port 53'
bgjob tdi2 'tcpdump -l -i veth-a -n icmp'
cap 'ip netns exec pwG-a nc -uvz 10.244.1.3 9999'
cap 'ip netns exec pwG-a ping -c 1 -M do -s 1450 10.244.2.2'
cap 'ip netns exec pwG-a ping -c 1 -t 1 10.244.2.2'
cap 'ip netns exec pwG-a ping -c 1 -W 1 10.60.0.1'
stopjob tdi2 'tcpdump -l -i veth-a -n icmp'
cap 'ip netns exec pwG-a curl 10.50.0.1'
cap 'ip netns exec pwG-a nc -vz 10.50.0.1 80'
cap 'ip netns exec pwG-a nc -vz -w 1 10.50.0.1 80'
cap 'ip netns exec pwG-a curl --connect-timeout 1 10.50.0.1'
cap 'ip netns exec pwG-a ping -c 2 -W 1 10.50.0.1'
cap 'tcpdump -i nodev'
cap 'ip netns exec pwG-a conntrack -L'
cap 'iptables -t nat -A PREROUTING -d 10.96.1.100/32 -p tcp --dport 80 -j DNAT --to-destination 10.244.1.3:80'
cap 'ip netns exec pwG-a curl -s -o /dev/null -w "%{http_code}\n" 10.96.1.100'
cap 'conntrack -L -p tcp'
cap 'iptables-save -t nat | grep -v "^#"'

# ---- Exercise 2: VXLAN between two "nodes" ----------------------------------------------
for n in pwG-n1 pwG-n2 pwG-p1 pwG-p2; do ip netns add $n; ip netns exec $n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; done
ip link add eth0 netns pwG-n1 type veth peer name eth0 netns pwG-n2
ip -n pwG-n1 addr add 192.168.1.10/24 dev eth0; ip -n pwG-n1 link set eth0 up
ip -n pwG-n2 addr add 192.168.1.20/24 dev eth0; ip -n pwG-n2 link set eth0 up
cap 'ip netns exec pwG-n1 ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.10 dev eth0 nolearning'
cap 'ip netns exec pwG-n2 ip link add vxlan0 type vxlan id 42 dstport 4789 local 192.168.1.20 dev eth0'
cap 'ip netns exec pwG-n1 ip link add vx1 type vxlan id 43 remote 192.168.1.20 dstport 8472 dev eth0'
cap 'ip netns exec pwG-n1 ip -d link show vxlan0'
cap 'ip netns exec pwG-n2 ip -d link show vxlan0'
cap 'ip netns exec pwG-n1 ip -d link show vx1'
cap 'ip netns exec pwG-n1 ip link add vx2 type vxlan id 44'
cap 'ip netns exec pwG-n1 ip link add vx3 type vxlan dstport 4789'
cap 'ip netns exec pwG-n1 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20'
cap 'ip netns exec pwG-n2 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.10'
cap 'ip netns exec pwG-n1 bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst 192.168.1.20'
cap 'ip netns exec pwG-n1 bridge fdb show dev vxlan0'
cap 'ip netns exec pwG-n1 bridge fdb show'
for i in 1 2; do
  ip -n pwG-n$i link add cni0 type bridge; ip -n pwG-n$i link set cni0 up
  ip -n pwG-n$i addr add 10.244.$i.1/24 dev cni0
  ip -n pwG-n$i link set vxlan0 up
  ip -n pwG-n$i link add veth-p type veth peer name eth0 netns pwG-p$i
  ip -n pwG-n$i link set veth-p master cni0 up
  ip -n pwG-p$i addr add 10.244.$i.2/24 dev eth0; ip -n pwG-p$i link set eth0 up
  ip -n pwG-p$i route add default via 10.244.$i.1
  ip netns exec pwG-n$i sysctl -qw net.ipv4.ip_forward=1
done
cap 'ip netns exec pwG-n1 ip addr add 10.244.1.0/32 dev vxlan0'
ip -n pwG-n2 addr add 10.244.2.0/32 dev vxlan0
cap 'ip netns exec pwG-n1 ip route add 10.244.2.0/24 dev vxlan0'
cap 'ip netns exec pwG-n1 ip route replace 10.244.2.0/24 via 10.244.2.0 dev vxlan0 onlink'
ip -n pwG-n2 route add 10.244.1.0/24 via 10.244.1.0 dev vxlan0 onlink
cap 'ip netns exec pwG-n1 ip route'
cap 'ip netns exec pwG-n1 ip addr show vxlan0'
bgjob tdv "ip netns exec pwG-n1 tcpdump -i eth0 -n"
bgjob tdw "ip netns exec pwG-n1 tcpdump -i vxlan0 -n -e"
cap 'ip netns exec pwG-p1 ping -c 2 10.244.2.2'
stopjob tdv 'ip netns exec pwG-n1 tcpdump -i eth0 -n'
stopjob tdw 'ip netns exec pwG-n1 tcpdump -i vxlan0 -n -e'
cap 'ip netns exec pwG-n1 ip neigh'
cap 'ip netns exec pwG-n1 bridge fdb show dev vxlan0'
cap 'ip netns exec pwG-p1 ping -c 1 -M do -s 1472 10.244.2.2'
# flannel's port (8472) is decoded by tcpdump as OTV
ip -n pwG-n1 link set vx1 up
bgjob tdo "ip netns exec pwG-n1 tcpdump -i eth0 -n udp"
ip netns exec pwG-n1 ping -c 1 -I vx1 -W 1 10.9.9.9 >/dev/null 2>&1
ip -n pwG-n1 addr add 10.99.0.1/24 dev vx1
ip -n pwG-n1 neigh add 10.99.0.2 lladdr 02:00:00:00:99:02 dev vx1
ip netns exec pwG-n1 ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1
stopjob tdo 'ip netns exec pwG-n1 tcpdump -i eth0 -n udp'
cap 'ip netns del pwG-nope'
cap 'ip netns del pwG-p2'
cap 'ip netns exec pwG-n2 ip link show veth-p'
echo "captured $(grep -c '^### ' "$OUT") commands into $OUT"
