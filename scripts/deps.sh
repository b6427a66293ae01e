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
# Optional: the GUI (mmsim gui, docs/gui.md) — SDL2, SDL2_ttf, SDL2_image
# (PNG screenshots) and the DejaVu font; Xvfb and xdotool for its window
# test (tests/gui.sh). Without them mmsim builds with a GUI stub.
have sdl2 || need="$need libsdl2-dev"
have SDL2_ttf || need="$need libsdl2-ttf-dev"
have SDL2_image || need="$need libsdl2-image-dev"
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need="$need fonts-dejavu-core"
command -v Xvfb >/dev/null 2>&1 || need="$need xvfb"
command -v xdotool >/dev/null 2>&1 || need="$need xdotool"

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
