#!/bin/bash
# Regenerate captured-rules.txt: `ip rule` (add, del, show, flush, -j, its errors) and the
# `ip route show table N|all` forms, as iproute2 6.1.0 prints them, run as root. Same block
# format as capture.sh, in a private network namespace (`unshare --net`) standing in for the
# shell's root netns, so nothing on the host changes. Takes a second.
# Usage: bash src/engine/shell/golden/capture-rules.sh
set -u
[ "${PWG_INNER:-}" = 1 ] || exec unshare --net --mount --propagation private env PWG_INNER=1 bash "$0" "$@"
cd "$(dirname "$0")"
OUT=$PWD/captured-rules.txt
: > "$OUT"
TMP=$(mktemp -d /tmp/pwT1-cap.XXXX)
trap 'rm -rf "$TMP"' EXIT
cap() {
  local cmd=$1
  bash -c "$cmd" >"$TMP/o" 2>"$TMP/e"; local rc=$?
  { printf '### %s\n' "$cmd"; printf 'rc %d\n' "$rc"; printf '>>> stdout\n'; cat "$TMP/o"; printf '>>> stderr\n'; cat "$TMP/e"; printf '<<<\n'; } >>"$OUT"
}
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link set lo up
# Setup, uncaptured (the test replays it): a veth pair with an address.
ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up; ip addr add 10.0.0.2/24 dev v0

cap 'ip rule'
cap 'ip -j rule'
# No pref: one below the second rule's priority.
cap 'ip rule add from 10.0.0.5 lookup 100'
cap 'ip rule add from 10.0.0.6 lookup 100'
cap 'ip rule add not to 10.1.0.0/16 fwmark 0x80/0xff iif d0 lookup 200 pref 200'
cap 'ip rule add ipproto tcp sport 1000 dport 80-90 lookup main suppress_prefixlength 0 pref 300'
cap 'ip rule add from 10.2.0.0/16 blackhole pref 400'
cap 'ip rule add to 10.4.0.1 prohibit pref 402'
cap 'ip rule add goto 32766 pref 500'
cap 'ip rule add nop pref 501'
cap 'ip rule add oif v0 uidrange 0-1000 lookup 5 pref 502'
cap 'ip rule add tos 0x10 fwmark 0x7 lookup 6 pref 503'
cap 'ip rule add iif lo lookup default pref 504'
cap 'ip rule add from 10.0.0.5 lookup 100 pref 32765'
cap 'ip rule'
cap 'ip -j rule'
cap 'ip rule show table 100'
cap 'ip rule list pref 500'
cap 'ip rule show from 10.0.0.5'
cap 'ip rule del from 10.0.0.6'
cap 'ip rule del from 10.0.0.6'
cap 'ip rule del'
# Errors, in the words iproute2 uses.
cap 'ip rule add frm 1.2.3.4 lookup 5'
cap 'ip rule add from 1.2.3.x lookup 5'
cap 'ip rule add lookup foo'
cap 'ip rule add fwmark xyz lookup 5'
cap 'ip rule add pref abc lookup 5'
cap 'ip rule add from'
cap 'ip rule add goto abc'
cap 'ip rule add ipproto foo lookup 5'
cap 'ip rule add sport x lookup 5'
cap 'ip rule add tos zz lookup 5'
cap 'ip rule add uidrange 5 lookup 5'
cap 'ip rule add type foo'
cap 'ip rule show frm 1'
cap 'ip rule show table foo'
cap 'ip rule foo'
cap 'ip rule help'
# Routes of other tables.
cap 'ip route add default via 10.0.0.1 table 100'
cap 'ip route add 10.5.0.0/16 via 10.0.0.1 table 7'
cap 'ip route add blackhole 10.9.0.0/16 table default'
cap 'ip route show table 100'
cap 'ip route show table default'
cap 'ip route show table all'
cap 'ip -j route show table all'
# ip route get through these rules: flows (from, iif, oif, mark, ipproto, ports), -j, errors.
cap 'ip route get 8.8.8.8'
cap 'ip route get 8.8.8.8 from 10.0.0.5'
cap 'ip -j route get 8.8.8.8 from 10.0.0.5'
cap 'ip route get 8.8.8.8 oif v0'
cap 'ip route get 10.0.0.2 from 10.0.0.5'
cap 'ip -j route get 10.0.0.2'
cap 'ip route get 10.9.1.1'
cap 'ip route get 10.4.0.1'
cap 'ip route get 10.5.1.1 mark 7'
cap 'ip route get 10.5.1.1 ipproto tcp sport 1000 dport 85'
cap 'ip route get 10.0.0.9 mark 0x80'
cap 'ip route get 9.9.9.9 mark abc'
cap 'ip route get 9.9.9.9 from x'
cap 'ip route get 9.9.9.9 iif nope'
cap 'ip route get 9.9.9.9 ipproto foo'
cap 'ip route get 9.9.9.9 dport 99999'
cap 'ip route get 9.9.9.9 from'
# Flush keeps the priority-0 rules; with none left, a rule without pref gets 0.
cap 'ip rule flush'
cap 'ip rule'
cap 'ip rule del pref 0'
cap 'ip rule'
cap 'ip rule add from 10.0.0.9 lookup 9'
cap 'ip rule'
