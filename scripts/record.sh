#!/bin/sh
# Record a program's memory address stream with Valgrind's lackey tool into
# a compressed lackey trace that mmsim reads directly (docs/recorded-traces.md).
#
#   scripts/record.sh [-o OUT.lackey.xz] [--keep-env] [--mmsim] PROGRAM [ARGS...]
#
#   -o OUT       the trace (default: ./PROGRAM-NAME.lackey.xz)
#   --keep-env   run with the caller's environment; by default the program
#                runs with only PATH set, so stack addresses (which depend on
#                the environment's size) repeat from run to run
#   --mmsim      also convert the trace to OUT-without-.lackey.xz.mmt (mmsim
#                binary format, zstd) with $MMSIM (default build/mmsim)
#
# The program runs under `setarch -R` (no address-space randomisation) and
# `valgrind --tool=lackey --trace-mem=yes --basic-counts=no`; its own output
# goes where it normally would. Lackey slows a program down about 100-200x
# and writes about 14 bytes of text per access before compression, so trace
# short runs. Needs valgrind, setarch (util-linux) and xz.
set -eu

out="" keep_env=0 mmsim=0
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || { echo "record.sh: -o needs a file" >&2; exit 2; }
	    out=$2; shift 2 ;;
	--keep-env) keep_env=1; shift ;;
	--mmsim) mmsim=1; shift ;;
	--) shift; break ;;
	-*) echo "record.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: scripts/record.sh [-o OUT.lackey.xz] [--keep-env] [--mmsim] PROGRAM [ARGS...]" >&2
	exit 2
fi
for tool in valgrind setarch xz; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "record.sh: $tool not found (apt-get install valgrind util-linux xz-utils)" >&2
		exit 2
	}
done
[ -n "$out" ] || out="$(basename "$1").lackey.xz"

log=$(mktemp "${TMPDIR:-/tmp}/record-lackey.XXXXXX")
trap 'rm -f "$log"' EXIT
if [ "$keep_env" -eq 1 ]; then
	run_env=""
else
	run_env="env -i PATH=/usr/local/bin:/usr/bin:/bin"
fi
# $run_env is deliberately unquoted: empty, or "env -i PATH=...".
# shellcheck disable=SC2086
$run_env setarch "$(uname -m)" -R valgrind --tool=lackey --trace-mem=yes \
	--basic-counts=no --log-file="$log" "$@"

# Write the compressed trace beside its final name, then move it in place.
xz -6 -c "$log" > "$out.part"
mv "$out.part" "$out"
records=$(grep -vc -e '^==' -e '^--' "$log" || true)
echo "record.sh: $out: $records records, $(wc -c < "$out") bytes" >&2

if [ "$mmsim" -eq 1 ]; then
	"${MMSIM:-build/mmsim}" convert "$out" "${out%.lackey.xz}.mmt" --zstd \
		--meta "recorded: $*" >&2
fi
