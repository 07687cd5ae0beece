#!/bin/bash
# Regenerate iptables-commands.txt from the real iptables-legacy 1.8.9 (run as root).
# Each line of iptables-commands.list runs, in order, in a fresh network namespace;
# the block records the command, its exit status, stdout and stderr verbatim.
set -u
cd "$(dirname "$0")"
NS=pwA-golden-$$
ip netns add "$NS"
trap 'ip netns del "$NS"' EXIT
out=iptables-commands.txt
: > "$out"
while IFS= read -r line; do
  [ -z "$line" ] && continue
  eval "set -- $line"
  o=$(ip netns exec "$NS" iptables-legacy "$@" 2>/tmp/pwA-golden-err); rc=$?
  { printf '### iptables %s\n' "$line"; printf 'rc %d\n' "$rc"; printf '>>> stdout\n'; [ -n "$o" ] && printf '%s\n' "$o"; printf '>>> stderr\n'; cat /tmp/pwA-golden-err; printf '<<<\n'; } >> "$out"
done < iptables-commands.list
rm -f /tmp/pwA-golden-err
