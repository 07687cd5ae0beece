#!/usr/bin/env bash
# packetwalk: vxlan-two-nodes, built in real network namespaces.
#
#   sudo bash THIS_SCRIPT up              build it
#   sudo bash THIS_SCRIPT probe SPEC...   ask the kernel (one PW-PROBE line per probe)
#   sudo bash THIS_SCRIPT down            remove everything (safe to repeat, works after a failed up)
#
# Every namespace it creates is named with the prefix in P (default "pw-"):
#   ${P}node1  (host)
#   ${P}node1-pod  (pod on node1)
#   ${P}node2  (host)
#   ${P}node2-pod  (pod on node2)
#   ${P}seg.underlay  (the "underlay" network: one bridge, nothing else)
# Nothing is attached to this host's own interfaces or routes.
#
# Probe specs: ping,from=NETNS,to=IP[,size=BYTES][,df=0|1][,ttl=N]  tcp,from=NETNS,to=IP,port=N
#              udp,from=NETNS,to=IP,port=N  route,from=NETNS,to=IP  dns,from=NETNS,server=IP,name=NAME
#              conntrack,netns=NETNS
# pause,seconds=N waits between probes (ICMP errors to one sender are rate limited by the kernel).
# PW_TEST=1 (for `up` and `probe`) tunes the kernel for differential tests: no ICMP error
# rate limits, no ICMP redirects, ARP gives up after 0.3 s, route caches (path MTUs) flushed
# before each sized probe. PW_WAIT (seconds, default 1) is how long a probe waits for an answer.
set -uo pipefail

P=${PW_PREFIX:-pw-}
PW_WAIT=${PW_WAIT:-1}
NETNS=("${P}node1" "${P}node1-pod" "${P}node2" "${P}node2-pod")
ALL_NETNS=("${NETNS[@]}" "${P}seg.underlay")
# iptables-legacy when installed: it prints back exactly the rules this script loads, and one
# backend per namespace avoids two rule sets (x_tables and nf_tables) both hooking the same packets.
if command -v iptables-legacy-restore >/dev/null; then IPT_RESTORE=iptables-legacy-restore; else IPT_RESTORE=iptables-restore; fi

usage() {
  sed -n '2,/^set -uo/p' "$0" | sed 's/^# \{0,1\}//; /^set -uo/d'
  exit 2
}

# Write a sysctl inside a netns by its /proc/sys path (device names may contain dots).
pw_sysctl() {  # NETNS PATH VALUE
  echo "$3" | ip netns exec "$1" tee "/proc/sys/$2" >/dev/null
}

# A new namespace with lo up and the kernel's own defaults for what a new namespace would
# otherwise copy from this host (devconf_inherit_init_net=0 copies net.ipv4.conf.*).
pw_netns_add() {  # NETNS
  ip netns add "$1"
  ip -n "$1" link set lo up
  # The model is IPv4 only: no IPv6 chatter (router solicitations, MLD, DAD) on these links.
  pw_sysctl "$1" net/ipv6/conf/all/disable_ipv6 1
  pw_sysctl "$1" net/ipv6/conf/default/disable_ipv6 1
  local k
  for k in rp_filter proxy_arp arp_ignore arp_announce arp_filter accept_local; do
    pw_sysctl "$1" "net/ipv4/conf/all/$k" 0
    pw_sysctl "$1" "net/ipv4/conf/default/$k" 0
  done
  if [ "${PW_TEST:-0}" = 1 ]; then
    pw_sysctl "$1" net/ipv4/icmp_ratelimit 0
    pw_sysctl "$1" net/ipv4/icmp_msgs_per_sec 100000
    pw_sysctl "$1" net/ipv4/icmp_msgs_burst 100000
    pw_sysctl "$1" net/ipv4/conf/all/send_redirects 0
    pw_sysctl "$1" net/ipv4/conf/default/send_redirects 0
  fi
}

# br_netfilter's switch is per network namespace on kernels since 5.3, and 1 in a new one.
pw_bridge_nf() {  # NETNS 0|1
  if ! ip netns exec "$1" test -e /proc/sys/net/bridge/bridge-nf-call-iptables && [ "$2" = 1 ]; then
    modprobe br_netfilter 2>/dev/null || echo "packetwalk: br_netfilter is not available; bridged frames will skip iptables" >&2
  fi
  if ip netns exec "$1" test -e /proc/sys/net/bridge/bridge-nf-call-iptables; then
    pw_sysctl "$1" net/bridge/bridge-nf-call-iptables "$2"
  fi
}

# In test mode ARP gives up after 3 tries 100 ms apart instead of 1 s apart.
pw_fast_arp() {  # NETNS
  [ "${PW_TEST:-0}" = 1 ] || return 0
  ip netns exec "$1" sh -c 'for f in /proc/sys/net/ipv4/neigh/*/retrans_time_ms; do echo 100 > "$f"; done'
}

# A segment of the underlay: one bridge in its own namespace.
pw_segment() {  # NETNS
  pw_netns_add "$1"
  pw_bridge_nf "$1" 0
  ip -n "$1" link add br0 type bridge
  ip -n "$1" link set br0 up
}

# Plug a node's NIC into a segment: a veth whose far end is a port of the segment's bridge.
pw_nic() {  # NETNS DEV MAC MTU SEGMENT_NETNS PORT
  ip -n "$1" link add "$2" address "$3" mtu "$4" type veth peer name "$6" mtu 65535 netns "$5"
  ip -n "$5" link set "$6" master br0
  ip -n "$5" link set "$6" up
}

# A link that leads nowhere: a veth whose far end waits, up and unused, in the void namespace.
pw_nowhere() {  # NETNS DEV MAC MTU VOID_NETNS PORT
  ip -n "$1" link add "$2" address "$3" mtu "$4" type veth peer name "$6" netns "$5"
  ip -n "$5" link set "$6" up
}

# Start a background program inside a netns; `down` stops everything left in the netns.
pw_spawn() {  # NETNS PROGRAM ARGS...
  ip netns exec "$1" setsid "${@:2}" </dev/null >/dev/null 2>&1 &
}

# Wait until something listens on a port (up to 3 s).
pw_wait_port() {  # NETNS tcp|udp PORT
  local i flag=-lnt
  [ "$2" = udp ] && flag=-lnu
  for i in $(seq 30); do
    ip netns exec "$1" ss -H "$flag" "sport = :$3" | grep -q . && return 0
    sleep 0.1
  done
  echo "packetwalk: nothing listens on $2/$3 in $1" >&2
  return 1
}

# Stand-in TCP server: answers every connection with one line naming itself and the peer.
pw_tcp_server() {  # NETNS NAME PORT APP [BIND_IP]
  pw_spawn "$1" socat "TCP-LISTEN:$3${5:+,bind=$5},reuseaddr,fork" \
    SYSTEM:"echo pw-hello netns=$2 app=$4 peer=\$SOCAT_PEERADDR:\$SOCAT_PEERPORT"
  pw_wait_port "$1" tcp "$3"
}

# Stand-in UDP echo, in perl (part of every Debian base system): one process, no fork (socat's
# forking UDP server loses datagrams that arrive while a child is finishing). One socket per
# address, so each answer leaves from the address the client talked to (as servers using
# IP_PKTINFO do).
PW_UDP_ECHO='use IO::Socket::INET; use Socket;
my ($addr, $port, $name, $app) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port, Proto => "udp") or die "udp $addr:$port: $!\n";
while (1) {
  my $peer = $s->recv(my $data, 65535) // next;
  my ($pport, $pip) = sockaddr_in($peer);
  $s->send("pw-hello netns=$name app=$app peer=" . inet_ntoa($pip) . ":$pport\n", 0, $peer);
}'
pw_udp_server() {  # NETNS NAME PORT APP BIND_IP
  pw_spawn "$1" perl -e "$PW_UDP_ECHO" "$5" "$3" "$2" "$4"
}

# Stand-in for CoreDNS: dnsmasq with a fixed set of records, authoritative for ZONE
# (NXDOMAIN for unknown names in it) and NXDOMAIN for everything else (no upstream).
# Records: NAME,IP (A and its PTR), a=NAME,IP (A only), srv=NAME,TARGET,PORT,PRIORITY,WEIGHT,
# ptr=REVERSE-NAME,TARGET (an explicit PTR wins over the one an A record makes).
pw_dns_server() {  # NETNS PORT ZONE RECORD...
  local r n args=()
  for r in "${@:4}"; do
    case $r in
      a=*) n=${r#a=}; args+=("--address=/${n%%,*}/${n#*,}") ;;
      srv=*) args+=("--srv-host=${r#srv=}") ;;
      ptr=*) args+=("--ptr-record=${r#ptr=}") ;;
      *) args+=("--host-record=$r") ;;
    esac
  done
  pw_spawn "$1" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --user=root --group=root --pid-file= --log-facility=/dev/null --port="$2" \
    --local="/$3/" --address=/#/ --local-ttl=30 "${args[@]}"
  pw_wait_port "$1" udp "$2"
}

up() {
  set -eE
  trap 'echo "packetwalk: up failed (line $LINENO); run: $0 down" >&2' ERR
  for cmd in ip bridge; do command -v "$cmd" >/dev/null || { echo "packetwalk: $cmd is not installed" >&2; return 1; }; done

  # 1. Namespaces, and the sysctls the model has for each.
  pw_netns_add "${P}node1"
  pw_sysctl "${P}node1" net/ipv4/ip_forward 1
  pw_bridge_nf "${P}node1" 0
  pw_netns_add "${P}node1-pod"
  pw_sysctl "${P}node1-pod" net/ipv4/ip_forward 0
  pw_netns_add "${P}node2"
  pw_sysctl "${P}node2" net/ipv4/ip_forward 1
  pw_bridge_nf "${P}node2" 0
  pw_netns_add "${P}node2-pod"
  pw_sysctl "${P}node2-pod" net/ipv4/ip_forward 0
  pw_segment "${P}seg.underlay"  # underlay: 192.168.1.0/24

  # 2. Links, with the model's MACs and MTUs. Bridges and NICs first: VXLAN devices need their underlay device.
  # node1
  ip -n "${P}node1" link add cni0 address 02:00:00:00:c1:01 mtu 1450 type bridge ageing_time 30000
  pw_nic "${P}node1" eth0 02:00:00:00:e1:01 1500 "${P}seg.underlay" p1
  ip -n "${P}node1" link add veth-node1 address 6e:f4:d6:f6:38:4a mtu 1450 type veth peer name eth0 address 02:00:00:00:d1:05 mtu 1450 netns "${P}node1-pod"
  ip -n "${P}node1" link add flannel.1 address 02:00:00:00:f1:01 mtu 1450 type vxlan id 1 local 192.168.1.10 dstport 8472 dev eth0 nolearning
  # node2
  ip -n "${P}node2" link add cni0 address 02:00:00:00:c2:01 mtu 1450 type bridge ageing_time 30000
  pw_nic "${P}node2" eth0 02:00:00:00:e2:02 1500 "${P}seg.underlay" p2
  ip -n "${P}node2" link add veth-node2 address 32:39:36:34:77:16 mtu 1450 type veth peer name eth0 address 02:00:00:00:d2:05 mtu 1450 netns "${P}node2-pod"
  ip -n "${P}node2" link add flannel.1 address 02:00:00:00:f2:02 mtu 1450 type vxlan id 1 local 192.168.1.20 dstport 8472 dev eth0 nolearning

  # 3. Bridge ports and link flags, then links up. Ports join smallest MTU first, so the bridge
  # never changes its MTU on the way: br_netfilter refragments bridged packets to the MTU a
  # bridge last changed to, 1500 until it changes (as for a bridge a CNI plugin creates).
  ip -n "${P}node1" link set veth-node1 master cni0
  ip -n "${P}node1" link set cni0 up
  ip -n "${P}node1" link set eth0 up
  ip -n "${P}node1" link set flannel.1 up
  ip -n "${P}node1" link set veth-node1 up
  pw_fast_arp "${P}node1"
  ip -n "${P}node1-pod" link set eth0 up
  pw_fast_arp "${P}node1-pod"
  ip -n "${P}node2" link set veth-node2 master cni0
  ip -n "${P}node2" link set cni0 up
  ip -n "${P}node2" link set eth0 up
  ip -n "${P}node2" link set flannel.1 up
  ip -n "${P}node2" link set veth-node2 up
  pw_fast_arp "${P}node2"
  ip -n "${P}node2-pod" link set eth0 up
  pw_fast_arp "${P}node2-pod"

  # 4. Addresses (their prefix routes appear by themselves).
  ip -n "${P}node1" addr add 10.244.1.1/24 dev cni0
  ip -n "${P}node1" addr add 192.168.1.10/24 dev eth0
  ip -n "${P}node1" addr add 10.244.1.0/32 dev flannel.1
  ip -n "${P}node1-pod" addr add 10.244.1.5/24 dev eth0
  ip -n "${P}node2" addr add 10.244.2.1/24 dev cni0
  ip -n "${P}node2" addr add 192.168.1.20/24 dev eth0
  ip -n "${P}node2" addr add 10.244.2.0/32 dev flannel.1
  ip -n "${P}node2-pod" addr add 10.244.2.5/24 dev eth0

  # 5. Routes the kernel does not add by itself (any table), permanent neighbours, FDB entries, policy routing rules.
  ip -n "${P}node1" route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink
  ip -n "${P}node1" neigh replace 10.244.2.0 lladdr 02:00:00:00:f2:02 dev flannel.1 nud permanent
  bridge -n "${P}node1" fdb append 02:00:00:00:f2:02 dev flannel.1 dst 192.168.1.20 self permanent
  ip -n "${P}node1-pod" route add default via 10.244.1.1 dev eth0
  ip -n "${P}node2" route add 10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink
  ip -n "${P}node2" neigh replace 10.244.1.0 lladdr 02:00:00:00:f1:01 dev flannel.1 nud permanent
  bridge -n "${P}node2" fdb append 02:00:00:00:f1:01 dev flannel.1 dst 192.168.1.10 self permanent
  ip -n "${P}node2-pod" route add default via 10.244.2.1 dev eth0

  # 7. Resolver files and stand-ins for the apps (socat, dnsmasq).
  pw_tcp_server "${P}node1-pod" node1-pod 80 web
  pw_tcp_server "${P}node2-pod" node2-pod 80 web

  trap - ERR
  echo "up: ${#NETNS[@]} namespaces ready (prefix $P)"
}

# ---------------------------------------------------------------------------------------
# probe: each spec is answered by one tab-separated line:
#   PW-PROBE <spec> status=<...> key=value...

pw_result() {  # SPEC KEY=VALUE...
  printf 'PW-PROBE\t%s' "$1"
  shift
  printf '\t%s' "$@"
  printf '\n'
}

# The errno a tool reported, from its message.
pw_errno() {  # TEXT
  case "$1" in
    *"Connection refused"*) echo ECONNREFUSED ;;
    *"No route to host"*) echo EHOSTUNREACH ;;
    *"Network is unreachable"*) echo ENETUNREACH ;;
    *"Invalid argument"*) echo EINVAL ;;
    *"Permission denied"* | *"ping broadcast"*) echo EACCES ;;
    *"Operation not permitted"*) echo EPERM ;;
    *"message too long"* | *"Message too long"*) echo EMSGSIZE ;;
    *"Connection reset"*) echo ECONNRESET ;;
    *) echo "" ;;
  esac
}

pw_icmp_name() {  # the words ping prints after "From X icmp_seq=1"
  case "$1" in
    "Destination Net Unreachable") echo net-unreachable ;;
    "Destination Host Unreachable") echo host-unreachable ;;
    "Destination Protocol Unreachable") echo protocol-unreachable ;;
    "Destination Port Unreachable") echo port-unreachable ;;
    "Frag needed"*) echo frag-needed ;;
    "Time to live exceeded") echo ttl-exceeded ;;
    "Packet filtered") echo filtered ;;
    "Destination Net Prohibited") echo net-prohibited ;;
    "Destination Host Prohibited") echo host-prohibited ;;
    *) echo "other" ;;
  esac
}

# Results are read with bash regexes (BASH_REMATCH), not sed and grep: fewer processes per probe.
probe_ping() {  # SPEC
  local args=(-n -c 1 -W "$PW_WAIT") out re errno mtu=""
  [ -n "${size:-}" ] && args+=(-s $((size - 28)))
  [ "${df:-}" = 1 ] && args+=(-M do)
  [ "${df:-}" = 0 ] && args+=(-M dont)
  [ -n "${ttl:-}" ] && args+=(-t "$ttl")
  out=$(ip netns exec "$P$from" ping "${args[@]}" "$to" 2>&1)
  re='bytes from ([0-9.]+): icmp_seq=[0-9]+ ttl=([0-9]+)'
  if [[ $out =~ $re ]]; then
    pw_result "$1" status=reply "from=${BASH_REMATCH[1]}" "ttl=${BASH_REMATCH[2]}"
    return
  fi
  re=$'(^|\n)From ([0-9.]+) icmp_seq=[0-9]+ ([^\n]*)'
  if [[ $out =~ $re ]]; then
    local sender=${BASH_REMATCH[2]} what=${BASH_REMATCH[3]}
    re='mtu = ([0-9]+)'
    [[ $what =~ $re ]] && mtu="mtu=${BASH_REMATCH[1]}"
    pw_result "$1" status=icmp-error "from=$sender" "error=$(pw_icmp_name "$what")" ${mtu:+"$mtu"} "detail=$what"
    return
  fi
  errno=$(pw_errno "$out")
  if [ -n "$errno" ]; then
    re='mtu=([0-9]+)'
    [[ $out =~ $re ]] && mtu="mtu=${BASH_REMATCH[1]}"
    re=$'(^|\n)(ping: [^\n]*)'
    [[ $out =~ $re ]] && out=${BASH_REMATCH[2]}
    pw_result "$1" status=local-error "errno=$errno" ${mtu:+"$mtu"} "detail=$out"
  else
    pw_result "$1" status=timeout
  fi
}

probe_tcp() {  # SPEC
  local out
  out=$(ip netns exec "$P$from" timeout 10 socat -T "$PW_WAIT" - "TCP:$to:$port,connect-timeout=$PW_WAIT" </dev/null 2>&1)
  pw_answer "$1" "$out"
}

# UDP through bash's /dev/udp: a connected socket, so ICMP errors reach the read. dd reads
# the whole datagram at once (bash's read would take one byte and lose the rest).
probe_udp() {  # SPEC
  local out
  out=$(ip netns exec "$P$from" timeout 10 bash -c 'exec 3<>"/dev/udp/$1/$2" && echo probe >&3 && timeout "$3" dd bs=4096 count=1 status=none <&3' _ "$to" "$port" "$PW_WAIT" 2>&1)
  pw_answer "$1" "$out"
}

pw_answer() {  # SPEC OUTPUT
  local re=$'(^|\n)pw-hello netns=([^ ]*) app=([^ ]*) peer=([^ \n]*)' errno last
  if [[ $2 =~ $re ]]; then
    pw_result "$1" status=answer "served-by=${BASH_REMATCH[2]}" "app=${BASH_REMATCH[3]}" "peer=${BASH_REMATCH[4]}"
    return
  fi
  errno=$(pw_errno "$2")
  if [ -n "$errno" ]; then
    last=${2##*$'\n'}
    pw_result "$1" status=error "errno=$errno" "detail=${last##* E }"
  else
    pw_result "$1" status=timeout
  fi
}

probe_route() {  # SPEC
  local out w type=unicast dev="" via="" src="" i
  if ! out=$(ip -n "$P$from" route get "$to" 2>&1); then
    pw_result "$1" status=error "errno=$(pw_errno "$out")" "detail=$out"
    return
  fi
  read -ra w <<<"$(head -1 <<<"$out")"
  case "${w[0]}" in local|broadcast|multicast|unreachable|blackhole|prohibit) type=${w[0]} ;; esac
  for ((i = 0; i < ${#w[@]}; i++)); do
    case "${w[i]}" in
      dev) dev=${w[i+1]} ;;
      via) via=${w[i+1]} ;;
      src) src=${w[i+1]} ;;
    esac
  done
  pw_result "$1" status=route "type=$type" "dev=$dev" "via=$via" "src=$src"
}

# The name at byte b[$1] of an answer, following compression pointers (RFC 1035 4.1.4).
pw_dns_name() {  # INDEX
  local i=$1 n="" len k hops=0
  while [ "$i" -lt "${#b[@]}" ] && [ "$hops" -lt 32 ]; do
    len=$((16#${b[i]}))
    [ "$len" = 0 ] && break
    if (( (len & 192) == 192 )); then i=$(( (len & 63) * 256 + 16#${b[i+1]} )); hops=$((hops + 1)); continue; fi
    for ((k = 1; k <= len; k++)); do n+=$(printf "\x${b[i+k]}"); done
    n+=.; i=$((i + len + 1))
  done
  printf %s "${n%.}"
}

# A query (type A, or SRV/PTR) in one UDP datagram (bash builds the bytes; dd writes them at
# once, where printf would send a datagram per line), the answer read with dd and od. Answers:
# A as the address, SRV as "PRIORITY WEIGHT PORT TARGET", PTR as the name; records of other types are left out.
probe_dns() {  # SPEC
  local q="\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" part hex qtype
  case "${type:-A}" in SRV) qtype=21 ;; PTR) qtype=0c ;; *) qtype=01 ;; esac
  local -a parts b
  IFS=. read -ra parts <<<"$name"
  for part in "${parts[@]}"; do q+=$(printf '\\x%02x' "${#part}")$part; done
  q+="\x00\x00\x$qtype\x00\x01"
  hex=$(ip netns exec "$P$from" timeout 10 bash -c 'exec 3<>"/dev/udp/$1/$2" && printf "$3" | dd bs=4096 count=1 iflag=fullblock status=none >&3 && timeout "$4" dd bs=4096 count=1 status=none <&3 | od -An -tx1 -v' _ "$server" "${port:-53}" "$q" "$PW_WAIT" 2>&1)
  if [[ $hex =~ [g-zG-Z] ]]; then
    if [ -n "$(pw_errno "$hex")" ]; then pw_result "$1" status=error "errno=$(pw_errno "$hex")"; else pw_result "$1" status=timeout; fi
    return
  fi
  read -ra b <<<"$(tr -s ' \n' '  ' <<<"$hex")"
  if [ "${#b[@]}" -lt 12 ]; then pw_result "$1" status=timeout; return; fi
  local rcodes=(NOERROR FORMERR SERVFAIL NXDOMAIN NOTIMP REFUSED) rc=$((16#${b[3]} & 15)) an=$((16#${b[6]} * 256 + 16#${b[7]})) i=12 answers=""
  while [ "$i" -lt "${#b[@]}" ] && [ "${b[i]}" != 00 ]; do i=$((i + 16#${b[i]} + 1)); done
  i=$((i + 5))
  local k rtype len
  for ((k = 0; k < an && i < ${#b[@]}; k++)); do
    while [ "$i" -lt "${#b[@]}" ]; do
      if [ "${b[i]}" = 00 ]; then i=$((i + 1)); break; fi
      if (( (16#${b[i]} & 192) == 192 )); then i=$((i + 2)); break; fi
      i=$((i + 16#${b[i]} + 1))
    done
    rtype=$((16#${b[i]} * 256 + 16#${b[i+1]})); len=$((16#${b[i+8]} * 256 + 16#${b[i+9]})); i=$((i + 10))
    case "$rtype:${type:-A}" in
      1:A) [ "$len" = 4 ] && answers+="${answers:+,}$((16#${b[i]})).$((16#${b[i+1]})).$((16#${b[i+2]})).$((16#${b[i+3]}))" ;;
      33:SRV) answers+="${answers:+,}$((16#${b[i]} * 256 + 16#${b[i+1]})) $((16#${b[i+2]} * 256 + 16#${b[i+3]})) $((16#${b[i+4]} * 256 + 16#${b[i+5]})) $(pw_dns_name $((i + 6)))" ;;
      12:PTR) answers+="${answers:+,}$(pw_dns_name "$i")" ;;
    esac
    i=$((i + len))
  done
  pw_result "$1" status=answer "rcode=${rcodes[rc]:-$rc}" "answers=$answers"
}

# A name looked up as programs do: getent reads the netns's resolv.conf (ip netns exec shows
# /etc/netns/<netns>/resolv.conf as /etc/resolv.conf) and follows its search list and ndots.
# Exit 2 is "not found" for NXDOMAIN and for no server reachable alike: status=no-answer.
probe_resolve() {  # SPEC
  local out rc
  out=$(ip netns exec "$P$from" timeout 20 getent ahostsv4 "$name" 2>&1); rc=$?
  case $rc in
    0) pw_result "$1" status=answer "answers=$(awk '{print $1}' <<<"$out" | sort -u | paste -sd, -)" ;;
    2 | 124) pw_result "$1" status=no-answer ;;
    *) pw_result "$1" status=error "detail=getent exit $rc" ;;
  esac
}

probe_conntrack() {  # SPEC
  local out
  out=$(ip netns exec "$P$netns" conntrack -L 2>/dev/null | sed -E 's/ +/ /g' | paste -sd';' -)
  pw_result "$1" status=ok "entries=$out"
}

probe_pause() {  # SPEC (prints nothing)
  sleep "${seconds:-1}"
}

probe() {
  local spec kind kv from="" to="" size="" df="" ttl="" port="" server="" name="" netns="" seconds="" ns
  for spec in "$@"; do
    from="" to="" size="" df="" ttl="" port="" server="" name="" netns="" seconds="" type=""
    IFS=, read -ra kv <<<"$spec"
    kind=${kv[0]}
    for item in "${kv[@]:1}"; do
      case "${item%%=*}" in
        from|to|size|df|ttl|port|server|name|netns|seconds|type) printf -v "${item%%=*}" "%s" "${item#*=}" ;;
        *) pw_result "$spec" status=bad-spec "detail=unknown key ${item%%=*}"; continue 2 ;;
      esac
    done
    if [ "${PW_TEST:-0}" = 1 ] && [ -n "$size" ]; then
      # A sized probe starts from the same state: no path MTU learned by an earlier one.
      for ns in "${NETNS[@]}"; do ip -n "$ns" route flush cache 2>/dev/null; done
    fi
    case "$kind" in
      ping|tcp|udp|route|dns|resolve|conntrack|pause) "probe_$kind" "$spec" ;;
      *) pw_result "$spec" status=bad-spec "detail=unknown probe $kind" ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------
# down: no `set -e` here, so a missing piece never stops the rest from going.
down() {
  local ns pids
  for ns in "${ALL_NETNS[@]}"; do
    [ -e "/run/netns/$ns" ] || { rm -rf "/etc/netns/$ns"; continue; }
    # Stop the stand-ins (everything still running inside the namespace).
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [ -n "$pids" ]; then
      kill $pids 2>/dev/null
      sleep 0.2
      pids=$(ip netns pids "$ns" 2>/dev/null)
      [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    fi
    # Deleting a namespace deletes its links; a veth takes its other end with it.
    ip netns del "$ns" 2>/dev/null || echo "packetwalk: could not delete netns $ns" >&2
    rm -rf "/etc/netns/$ns"
  done
  echo "down: removed namespaces with prefix $P"
}

case "${1:-help}" in
  up) up ;;
  down) down ;;
  probe) shift; probe "$@" ;;
  *) usage ;;
esac
