#!/usr/bin/env bash
# synack's two commands for a new user (README):
#   ./do demo [ARGS]   build, then run `synack demo` (two stacks over memlink;
#                      --tun: synack against the Linux kernel, as root)
#   ./do test          build with ASan+UBSan and run every test (ctest)
# Each installs what it needs with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")"

need_pkgs() {
	local missing=()
	command -v cmake >/dev/null || missing+=(cmake)
	command -v cc >/dev/null || missing+=(gcc)
	command -v make >/dev/null || missing+=(make)
	[ -e /usr/include/cmocka.h ] || missing+=(libcmocka-dev)
	command -v pkg-config >/dev/null || missing+=(pkg-config)
	if [ "${1:-}" = test ]; then
		command -v tshark >/dev/null || missing+=(tshark)
		# tests/net: the Linux side of the TUN interop tests
		command -v ip >/dev/null || missing+=(iproute2)
		command -v curl >/dev/null || missing+=(curl)
		command -v nc >/dev/null || missing+=(netcat-openbsd)
		command -v ping >/dev/null || missing+=(iputils-ping)
		command -v python3 >/dev/null || missing+=(python3)
	fi
	if [ "${1:-}" = demo-tun ]; then
		# demo --tun: ip and ss in the namespace, python3 as the kernel's server
		command -v ip >/dev/null || missing+=(iproute2)
		command -v python3 >/dev/null || missing+=(python3)
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing: ${missing[*]}" >&2
		local sudo=""
		[ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

jobs=$(nproc 2>/dev/null || echo 2)

case "${1:-}" in
demo)
	shift
	case " $* " in
	*" --tun "*) need_pkgs demo-tun ;;
	*) need_pkgs demo ;;
	esac
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSYNACK_TESTS=OFF >/dev/null
	cmake --build build -j "$jobs" --target synack >/dev/null
	exec ./build/synack demo "$@"
	;;
test)
	need_pkgs test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSYNACK_SANITIZE=ON >/dev/null
	cmake --build build-asan -j "$jobs"
	scripts/check-core-purity
	cd build-asan && ctest --output-on-failure -j "$jobs"
	;;
*)
	echo "usage: ./do demo [--simultaneous-close] [--loss P] [--pcap FILE]" >&2
	echo "       ./do demo --tun [--time-wait-wait]   (as root: the Linux kernel as TCP B)" >&2
	echo "       ./do test" >&2
	exit 2
	;;
esac
