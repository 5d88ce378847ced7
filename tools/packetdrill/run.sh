#!/usr/bin/env bash
# Run an already-built upstream packetdrill over a directory of scripts
# against libsynack-packetdrill.so (README, "packetdrill"). Each script runs
# in its own network namespace via ../shared/tools/packetdrill-run.sh, or
# PD_RUNNER if set; the library is also LD_PRELOADed so that packetdrill's
# own getsockopt(TCP_INFO) calls (%{ }% checks) reach synack.
# This script never builds packetdrill.
#
# usage: tools/packetdrill/run.sh PACKETDRILL_BIN LIBSYNACK_PACKETDRILL_SO DIR [FLAGS...]
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 PACKETDRILL_BIN SO DIR [FLAGS...]" >&2; exit 2; }
pd=$1 so=$(realpath "$2") dir=$3; shift 3
runner=${PD_RUNNER:-$(dirname "$0")/../../../shared/tools/packetdrill-run.sh}
[ -x "$runner" ] || { echo "no runner at $runner (set PD_RUNNER)" >&2; exit 2; }
LD_PRELOAD=$so exec "$runner" "$pd" "$so" "$dir" "$@"
