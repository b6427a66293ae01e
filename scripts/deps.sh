#!/bin/sh
# Install the Debian packages mmsim needs, if pkg-config cannot find them.
# Called by `make run` / `make test`; safe to run by hand. Needs root or sudo.
set -e

need=""
have() { pkg-config --exists "$1" 2>/dev/null; }

command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
have libcjson || need="$need libcjson-dev"
have criterion || need="$need libcriterion-dev"
have libzstd || need="$need libzstd-dev"                 # mmsim binary traces
command -v xz >/dev/null 2>&1 || need="$need xz-utils"   # .xz lackey traces
# Optional: plots (mmsim plot) and GNU parallel for cluster-style sweeps;
# tests skip what needs them when they are missing.
command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
command -v parallel >/dev/null 2>&1 || need="$need parallel"

[ -z "$need" ] && exit 0

echo "deps.sh: installing:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when an install fails on a stale list.
if ! $SUDO apt-get install -y --no-install-recommends $need; then
	$SUDO apt-get update
	$SUDO apt-get install -y --no-install-recommends $need
fi
