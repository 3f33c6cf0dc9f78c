# shellcheck shell=bash
# A router built from network namespaces, for fixtures, integration tests, benchmarks and the demo.
# Source this file, then call lab_up; lab_down removes everything (call it from a trap).
#
#   LAB=nm lab_up 3      # namespaces nm-router, nm-wan, nm-lan1..nm-lan3
#
#   lanN   eth0 10.0.0.(10+N)/24, fd00:10::(10+N)/64, default via the router
#   router enp3s0: a bridge, 10.0.0.1/24 and fd00:10::1/64 (the LAN, as on the real router)
#          enp2s0: 198.51.100.2/24 and 2001:db8:100::2/64 (the WAN), masquerade out of enp2s0,
#          nf_conntrack_acct=1, forwarding on
#   wan    eth0 198.51.100.1/24, 2001:db8:100::1/64, plus the "remote hosts" of the internet:
#          192.0.2.10, 203.0.113.20, 198.51.100.30, 2001:db8:2::10, 2001:db8:3::20 and a private
#          modem address 192.168.1.1; routes back to the router's WAN address only (NAT hides the LAN)
#
# All addresses are documentation or private ranges; nothing leaves the machine.

LAB=${LAB:-nm}
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_PY=${LAB_PY:-python3}
LAB_REMOTE4=(192.0.2.10 203.0.113.20 198.51.100.30)
LAB_REMOTE6=(2001:db8:2::10 2001:db8:3::20)
LAB_PIDS=()

lab_router() { echo "$LAB-router"; }
lab_wan() { echo "$LAB-wan"; }
lab_lan() { echo "$LAB-lan$1"; }
lab_lan_ip() { echo "10.0.0.$((10 + $1))"; }
lab_lan_ip6() { echo "fd00:10::$((10 + $1))"; }

# lab_in NS CMD...: run CMD inside namespace NS.
lab_in() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

lab_can_run() {
  [ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)"; return 1; }
  command -v nft >/dev/null || { echo "needs nft (nftables)"; return 1; }
  command -v ip >/dev/null || { echo "needs ip (iproute2)"; return 1; }
  ip netns add "$LAB-probe" 2>/dev/null || { echo "cannot create network namespaces"; return 1; }
  ip netns del "$LAB-probe"
  return 0
}

lab_up() {
  local clients=${1:-2} r w i ns
  r=$(lab_router); w=$(lab_wan)
  lab_down 2>/dev/null
  ip netns add "$r" && ip netns add "$w" || return 1
  lab_in "$r" ip link set lo up
  lab_in "$w" ip link set lo up

  ip link add enp2s0 netns "$r" type veth peer name eth0 netns "$w" || return 1
  lab_in "$r" ip link add enp3s0 type bridge
  lab_in "$r" ip addr add 10.0.0.1/24 dev enp3s0
  lab_in "$r" ip addr add fd00:10::1/64 dev enp3s0 nodad
  lab_in "$r" ip addr add 198.51.100.2/24 dev enp2s0
  lab_in "$r" ip addr add 2001:db8:100::2/64 dev enp2s0 nodad
  lab_in "$r" ip link set enp2s0 up
  lab_in "$r" ip link set enp3s0 up
  lab_in "$r" ip route add default via 198.51.100.1
  lab_in "$r" ip -6 route add default via 2001:db8:100::1
  lab_in "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
    net.netfilter.nf_conntrack_acct=1 net.netfilter.nf_conntrack_checksum=0
  lab_in "$r" nft -f - <<'NFT' || return 1
table inet netmon_lab {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "enp2s0" masquerade
  }
}
NFT

  lab_in "$w" ip addr add 198.51.100.1/24 dev eth0
  lab_in "$w" ip addr add 2001:db8:100::1/64 dev eth0 nodad
  lab_in "$w" ip link set eth0 up
  for ip4 in "${LAB_REMOTE4[@]}" 192.168.1.1; do lab_in "$w" ip addr add "$ip4/32" dev lo; done
  for ip6 in "${LAB_REMOTE6[@]}"; do lab_in "$w" ip addr add "$ip6/128" dev lo nodad; done
  lab_in "$w" ip route add 10.0.0.0/24 via 198.51.100.2   # only for port-forward tests; NAT hides the LAN
  lab_in "$w" sysctl -qw net.ipv4.ping_group_range="0 2147483647"

  for ((i = 1; i <= clients; i++)); do lab_add_client "$i" || return 1; done
  lab_in "$r" ip link set enp3s0 up
}

lab_add_client() {
  local i=$1 r ns
  r=$(lab_router); ns=$(lab_lan "$i")
  ip netns add "$ns" || return 1
  ip link add eth0 netns "$ns" type veth peer name "lan$i" netns "$r" || return 1
  lab_in "$r" ip link set "lan$i" master enp3s0 up
  lab_in "$ns" ip link set lo up
  lab_in "$ns" ip addr add "$(lab_lan_ip "$i")/24" dev eth0
  lab_in "$ns" ip addr add "$(lab_lan_ip6 "$i")/64" dev eth0 nodad
  lab_in "$ns" ip link set eth0 up
  lab_in "$ns" ip route add default via 10.0.0.1
  lab_in "$ns" ip -6 route add default via fd00:10::1
  lab_in "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
}

# lab_serve: start the TCP/UDP servers on every remote address of the WAN host.
lab_serve() {
  lab_in "$(lab_wan)" "$LAB_PY" "$LAB_DIR/traffic.py" serve "${LAB_REMOTE4[@]}" 192.168.1.1 \
    198.51.100.1 "${LAB_REMOTE6[@]}" >/dev/null 2>&1 &
  LAB_PIDS+=($!)
  # Wait until the last server socket listens.
  local n
  for n in $(seq 50); do
    lab_in "$(lab_wan)" ss -Htln | grep -q '2001:db8:3::20\]:8080' && return 0
    sleep 0.1
  done
  echo "lab: WAN servers did not start" >&2
  return 1
}

# lab_traffic N ARGS...: run traffic.py ARGS on LAN client N.
lab_traffic() {
  local i=$1; shift
  lab_in "$(lab_lan "$i")" "$LAB_PY" "$LAB_DIR/traffic.py" "$@"
}

lab_down() {
  local pid ns
  for pid in "${LAB_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  LAB_PIDS=()
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$LAB-(router|wan|lan[0-9]+)$"); do
    # Kill whatever still runs inside, then the namespace itself.
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}
