#!/bin/sh
# Kept for old command lines: plots are `mmsim plot` now (docs/sweeps.md,
# "Plots"), which writes a PNG, an SVG and the gnuplot script:
#
#   scripts/plot.sh RESULTS.csv --x AXIS --y METRIC [--group AXIS] [options]
#
# runs `mmsim plot` with the same arguments: $MMSIM, else build/mmsim of
# this checkout, else mmsim on the PATH.
here=$(dirname "$0")/..
for m in "${MMSIM:-}" "$here/build/mmsim"; do
	[ -n "$m" ] && [ -x "$m" ] && exec "$m" plot "$@"
done
exec mmsim plot "$@"
