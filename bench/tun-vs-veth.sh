#!/usr/bin/env bash
# Figures for the note: the Linux kernel talking to synack over TUN, next to
# the kernel talking to itself over a veth pair, measured in the same run.
#   bench/tun-vs-veth.sh [SYNACK_BIN]   (root; needs ip, nc, wrk, python3)
# - bulk: 1 GiB from nc (kernel TCP) into `synack discard`, vs into `nc -l`
#   in a second namespace across veth;
# - wrk (keep-alive, 4 connections, 5 s) against `synack http-server
#   --size 1K`, and with "Connection: close" (connections per second);
#   the Linux side of that comparison is nginx when it is installed
#   (apt-get install nginx-light), else python3's http.server, a weak
#   application whose rows say little about the kernel.
set -euo pipefail
BIN=${1:-./build/synack}
[ "$(id -u)" = 0 ] || { echo "tun-vs-veth: run as root" >&2; exit 2; }
for t in ip nc wrk python3; do command -v $t >/dev/null || { echo "tun-vs-veth: $t missing" >&2; exit 2; }; done
N=skbench$$
A=$N-a; B=$N-b; T=$N-t
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for n in $A $B; do ip netns del $n 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

secs() { date +%s.%N; }
mbps() { python3 -c "import sys; print('%.0f' % (float(sys.argv[1])*8/1e6/float(sys.argv[2])))" "$1" "$2"; }

# veth: namespace A (10.212.0.1) -- namespace B (10.212.0.2)
ip netns add $A; ip netns add $B
ip link add ${N}a netns $A type veth peer name ${N}b netns $B
ip -n $A addr add 10.212.0.1/24 dev ${N}a; ip -n $A link set ${N}a up; ip -n $A link set lo up
ip -n $B addr add 10.212.0.2/24 dev ${N}b; ip -n $B link set ${N}b up; ip -n $B link set lo up

SIZE=$((1 << 30))
bulk() { # $1 netns of the client, $2 address, $3 port
	local t0 t1
	t0=$(secs)
	head -c $SIZE /dev/zero | ip netns exec "$1" nc -N "$2" "$3"
	t1=$(secs)
	mbps $SIZE "$(python3 -c "print($t1-$t0)")"
}

# Linux to Linux over veth
ip netns exec $B sh -c "nc -l 9 > /dev/null" & pids+=($!)
sleep 0.3
veth_bulk=$(bulk $A 10.212.0.2 9)
# The Linux HTTP server: nginx serving /x (1 KiB) if present, else python3.
WEB=/tmp/$N.web; mkdir -p $WEB/root; head -c 1024 /dev/zero > $WEB/root/x
if command -v nginx >/dev/null; then
	server=nginx
	cat > $WEB/nginx.conf <<CONF
worker_processes 1; pid $WEB/nginx.pid; error_log $WEB/error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 8080; root $WEB/root; keepalive_requests 1000000; } }
CONF
	ip netns exec $B nginx -c $WEB/nginx.conf -g "daemon off;" & pids+=($!)
else
	server=py
	(cd $WEB/root && ip netns exec $B python3 -m http.server 8080 >/dev/null 2>&1) & pids+=($!)
fi

# Linux to synack over TUN (synack makes namespace $T)
$BIN discard --netns $T --addr 10.211.0.2/24 2>/dev/null & pids+=($!)
$BIN http-server --netns ${T}h --addr 10.213.0.2/24 --size 1K 2>/dev/null & pids+=($!)
sleep 1
tun_bulk=$(bulk $T 10.211.0.2 9)

wrk_rps() { # netns url [header]
	ip netns exec "$1" wrk -t1 -c4 -d5s ${3:+-H "$3"} "$2" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'
}
tun_rps=$(wrk_rps ${T}h http://10.213.0.2/x)
tun_cps=$(wrk_rps ${T}h http://10.213.0.2/x "Connection: close")
veth_rps=$(wrk_rps $A http://10.212.0.2:8080/x)
veth_cps=$(wrk_rps $A http://10.212.0.2:8080/x "Connection: close")
rm -rf $WEB

ratio() { python3 -c "import sys; a,b=float(sys.argv[1] or 0),float(sys.argv[2] or 0); print('%.2f' % (a/b) if b else '-')" "$1" "$2"; }
printf "%-44s %12s %12s %8s\n" "figure" "synack/TUN" "Linux/veth" "ratio"
printf "%-44s %12s %12s %8s\n" "bulk, 1 GiB kernel -> sink (Mbit/s)" "$tun_bulk" "$veth_bulk" "$(ratio "$tun_bulk" "$veth_bulk")"
printf "%-44s %12s %12s %8s\n" "wrk keep-alive, 1 KiB body (req/s) [$server]" "$tun_rps" "$veth_rps" "$(ratio "$tun_rps" "$veth_rps")"
printf "%-44s %12s %12s %8s\n" "wrk Connection: close (conn/s) [$server]" "$tun_cps" "$veth_cps" "$(ratio "$tun_cps" "$veth_cps")"
[ $server = nginx ] || echo "[py]: the Linux/veth server is python3 -m http.server (application-bound)"
