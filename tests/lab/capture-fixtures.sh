#!/usr/bin/env bash
# Captures tests/fixtures/conntrack/router_*.txt from a real kernel: builds the namespace router
# (lab.sh), sends a known mix of traffic through it and saves conntrack's text formats.
# Run as root: tests/lab/capture-fixtures.sh [OUTDIR]. Takes about 20 seconds.
#
# The traffic (LAN 10.0.0.0/24 and fd00:10::/64 behind masquerade; see lab.sh):
#   lan1 10.0.0.11  tcp 192.0.2.10:443 up 2000 down 120000 (open, ct mark 42)
#                   tcp 203.0.113.20:80 up 300 down 5000 (closed: TIME_WAIT)
#                   udp 203.0.113.20:53 2x up 60 down 200; icmp echo 192.0.2.10 x2
#                   tcp [2001:db8:2::10]:443 up 500 down 30000 (open); icmpv6 echo 2001:db8:3::20
#                   udp [2001:db8:3::20]:123 up 48 down 48
#                   not outbound: ping 10.0.0.1, tcp 192.168.1.1:80, udp 100.64.0.1:53, ping6 fd00:10::1
#   lan2 10.0.0.12  gre x3, sctp INIT, udplite :5000 (unreplied) to 203.0.113.20; ip proto 253 and
#                   udp :9999 (unreplied) to 192.0.2.10; tcp SYN to 192.0.2.99:443 (unreplied)
#                   not outbound: WAN 198.51.100.1 -> 198.51.100.2:8080 forwarded to lan2:8080
#   lan3 10.0.0.13  in conntrack zone 7: icmp echo and udp 198.51.100.30:53
#   router itself   ping 198.51.100.1 (not outbound: its source is not in the LAN)
# Then it deletes lan2's gre flow (a DESTROY event with counters), and makes a tcp and a udp
# flow from lan1 with accounting off (router_noacct_extended.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../fixtures/conntrack}
mkdir -p "$out"
# shellcheck source=lab.sh
source "$here/lab.sh"
LAB=${LAB:-nmcap}
why=$(lab_can_run) || { echo "capture-fixtures: $why" >&2; exit 1; }
trap lab_down EXIT
lab_up 3
lab_serve
R=$(lab_router)

# lan3 in zone 7 (both directions, so that replies find the entry), marks on https.
lab_in "$R" nft -f - <<'NFT'
table inet netmon_lab {
  chain prerouting_zone {
    type filter hook prerouting priority raw; policy accept;
    ip saddr 10.0.0.13 ct zone set 7
    iifname "enp2s0" ip daddr 198.51.100.2 ip saddr 198.51.100.30 meta l4proto { icmp, udp } ct zone set 7
  }
  chain forward_mark {
    type filter hook forward priority filter; policy accept;
    tcp dport 443 ct mark set 42
  }
  chain prerouting_dnat {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "enp2s0" tcp dport 8080 dnat ip to 10.0.0.12:8080
  }
}
NFT
lab_in "$(lab_lan 2)" "$LAB_PY" "$here/traffic.py" serve 10.0.0.12 >/dev/null 2>&1 &
LAB_PIDS+=($!)
sleep 0.5

events=$(mktemp); events_plain=$(mktemp)
lab_in "$R" conntrack -E -o timestamp,extended >"$events" 2>/dev/null &
ev1=$!
lab_in "$R" conntrack -E >"$events_plain" 2>/dev/null &
ev2=$!
sleep 0.3

holders=()
lab_traffic 1 tcp 192.0.2.10 443 2000 120000 30 & holders+=($!)
lab_traffic 1 tcp 2001:db8:2::10 443 500 30000 30 & holders+=($!)
lab_traffic 1 tcp 203.0.113.20 80 300 5000 0
lab_traffic 1 udp 203.0.113.20 53 60 200 2
lab_in "$(lab_lan 1)" ping -q -c2 -i0.2 192.0.2.10 >/dev/null
lab_in "$(lab_lan 1)" ping -6 -q -c1 2001:db8:3::20 >/dev/null
lab_traffic 1 udp 2001:db8:3::20 123 48 48 1
lab_in "$(lab_lan 1)" ping -q -c1 10.0.0.1 >/dev/null
lab_traffic 1 tcp 192.168.1.1 80 100 100 0
lab_traffic 1 udp 100.64.0.1 53 40 0 1
lab_in "$(lab_lan 1)" ping -6 -q -c1 fd00:10::1 >/dev/null

lab_traffic 2 raw 203.0.113.20 47 100 3
lab_traffic 2 raw 203.0.113.20 132 0 1
lab_traffic 2 udplite 203.0.113.20 5000 100
lab_traffic 2 raw 192.0.2.10 253 64 1
lab_traffic 2 udp 192.0.2.10 9999 30 0 1
lab_in "$(lab_lan 2)" timeout 1 "$LAB_PY" "$here/traffic.py" tcp 192.0.2.99 443 0 0 0 2>/dev/null || true
lab_in "$(lab_wan)" "$LAB_PY" "$here/traffic.py" tcp 198.51.100.2 8080 700 900 0

lab_in "$(lab_lan 3)" ping -q -c1 198.51.100.30 >/dev/null
lab_traffic 3 udp 198.51.100.30 53 50 150 1
lab_in "$R" ping -q -c1 198.51.100.1 >/dev/null
sleep 0.5

lab_in "$R" conntrack -L -o extended >"$out/router_extended.txt" 2>/dev/null
lab_in "$R" conntrack -L >"$out/router_plain.txt" 2>/dev/null
lab_in "$R" cat /proc/net/nf_conntrack >"$out/router_proc.txt"
lab_in "$R" conntrack -L -o extended,id,labels >"$out/router_extended_id.txt" 2>/dev/null
lab_in "$R" conntrack -D -p gre >/dev/null 2>&1
sleep 0.3

lab_in "$R" sysctl -qw net.netfilter.nf_conntrack_acct=0
lab_in "$R" conntrack -F 2>/dev/null
lab_traffic 1 tcp 203.0.113.20 8080 100 2000 6 & holders+=($!)
lab_traffic 1 udp 192.0.2.10 123 48 48 1
sleep 0.5
lab_in "$R" conntrack -L -o extended >"$out/router_noacct_extended.txt" 2>/dev/null
sleep 0.3
kill "$ev1" "$ev2" 2>/dev/null || true
wait "$ev1" "$ev2" 2>/dev/null || true
cp "$events" "$out/router_events.txt"
cp "$events_plain" "$out/router_events_plain.txt"
rm -f "$events" "$events_plain"
kill "${holders[@]}" 2>/dev/null || true
for f in "$out"/router_*.txt; do printf '%6d %s\n' "$(wc -l <"$f")" "$f"; done
