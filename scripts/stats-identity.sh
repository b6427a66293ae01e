#!/bin/sh
# Do two mmsim binaries simulate the same thing? Runs every trace in
# traces/ (default config; tiny, zen4 and skylake-sp where the trace fits;
# the flat memory model; --check=1 on the small ones) plus scaled-down
# copies of the mmsim-bench cases, with each binary, and compares the
# stats JSON (and exit status and stderr) byte for byte.
# A host-speed change must leave every file identical (docs/performance.md).
#
# Usage: scripts/stats-identity.sh BASE_MMSIM NEW_MMSIM [OUTDIR]
#   e.g. cp build/mmsim /tmp/mmsim.base; (edit, make); \
#        scripts/stats-identity.sh /tmp/mmsim.base build/mmsim
# KEEP_BASE=1 reuses the base results already in OUTDIR (same base binary).
# Exit 0 when every run matches, 1 with the differing runs listed.
set -u
if [ $# -lt 2 ]; then
	echo "usage: $0 BASE_MMSIM NEW_MMSIM [OUTDIR]" >&2
	exit 2
fi
base=$1 new=$2
out=${3:-$(mktemp -d /tmp/stats-identity.XXXXXX)}
mkdir -p "$out/base" "$out/new" "$out/traces"

# Scaled-down mmsim-bench cases (bench/bench.c), small enough to run in
# seconds, shaped like the real ones.
one_thread() { # NAME REGION_LEN BODY
	cat >"$out/traces/$1.json" <<EOF
{ "name": "$1", "processes": [ { "name": "bench", "threads": [
  { "cpu": 0, "ops": [
    { "op": "mmap", "name": "buf", "length": "$2" },
    $3,
    { "op": "exit" } ] } ] } ] }
EOF
}
one_thread bench-tlb-hit 64K '{ "op": "stride", "base": "buf", "length": "64K", "stride": 4096, "write": 1.0 },
    { "op": "random", "base": "buf", "length": "64K", "size": 8, "count": 300000, "seed": 1 }'
one_thread bench-tlb-miss 256M '{ "op": "stride", "base": "buf", "length": "256M", "stride": 4096, "write": 1.0 },
    { "op": "random", "base": "buf", "length": "256M", "size": 8, "count": 200000, "seed": 2 }'
one_thread bench-fault 32M '{ "op": "stride", "base": "buf", "length": "32M", "stride": 4096, "write": 1.0 }'
one_thread bench-seq 1M '{ "op": "seq", "base": "buf", "length": "1M", "size": 4, "count": 400000, "write": 0.3 },
    { "op": "stride", "base": "buf", "length": "1M", "stride": 72, "count": 50000 }'
{
	echo '{ "name": "bench-shootdown", "processes": [ { "name": "bench", "threads": ['
	echo '  { "cpu": 0, "ops": [ { "op": "repeat", "count": 100, "ops": ['
	echo '    { "op": "mmap", "name": "churn", "length": "128K" },'
	echo '    { "op": "stride", "base": "churn", "length": "128K", "stride": 4096, "write": 1.0 },'
	echo '    { "op": "mprotect", "addr": "churn", "length": "128K", "prot": "r" },'
	echo '    { "op": "munmap", "addr": "churn", "length": "128K" } ] },'
	echo '    { "op": "exit" } ] }'
	for i in 1 2 3; do
		echo "  ,{ \"cpu\": $i, \"ops\": [ { \"op\": \"mmap\", \"name\": \"r$i\", \"length\": \"256K\" },"
		echo '    { "op": "repeat", "count": 100, "ops": ['
		echo "      { \"op\": \"random\", \"base\": \"r$i\", \"length\": \"256K\", \"count\": 1000, \"write\": 0.2 },"
		echo '      { "op": "compute", "cycles": 45000 } ] },'
		echo '    { "op": "exit" } ] }'
	done
	echo '] } ] }'
} >"$out/traces/bench-shootdown.json"
{
	echo '{ "name": "bench-scale", "processes": [ { "name": "bench", "threads": ['
	for i in 0 1 2 3; do
		[ $i -gt 0 ] && echo ','
		echo "  { \"cpu\": $i, \"ops\": [ { \"op\": \"mmap\", \"name\": \"r$i\", \"length\": \"16M\" },"
		echo "    { \"op\": \"random\", \"base\": \"r$i\", \"length\": \"16M\", \"size\": 8, \"count\": 100000, \"write\": 0.5 },"
		echo '    { "op": "exit" } ] }'
	done
	echo '] } ] }'
} >"$out/traces/bench-scale.json"

# run NAME CONFIG TRACE [ARGS...]: both binaries, stats + status + stderr.
runs=0
run() {
	name=$1 cfg=$2 tr=$3
	shift 3
	for which in base new; do
		eval bin=\$$which
		# KEEP_BASE=1 with an OUTDIR of an earlier run: reuse its base results
		if [ $which = base ] && [ "${KEEP_BASE:-0}" = 1 ] && [ -f "$out/base/$name.err" ]; then
			continue
		fi
		"$bin" run -q -c "$cfg" --stats "$out/$which/$name.stats.json" "$@" "$tr" \
			>"$out/$which/$name.out" 2>"$out/$which/$name.err"
		echo "exit $?" >>"$out/$which/$name.err"
	done
	runs=$((runs + 1))
}

for t in traces/*.json "$out"/traces/*.json; do
	n=$(basename "$t" .json)
	run "$n-default" configs/default.json "$t"
	run "$n-flat" configs/default.json "$t" -s memory.model=flat
	for c in tiny zen4 skylake-sp; do
		# only where the trace fits the machine (enough cores)
		if "$base" run -q -c configs/$c.json "$t" >/dev/null 2>&1; then
			run "$n-$c" configs/$c.json "$t"
		fi
	done
	case $n in
	fork-8-children|thp-compare|demo|tlb-stress|bench-tlb-miss) ;;
	*) run "$n-check" configs/default.json "$t" --check=1 ;;
	esac
done

if diff -r -q "$out/base" "$out/new" >"$out/diff.txt"; then
	echo "stats-identity: $runs runs, every stats JSON, exit status and stderr identical ($out)"
	exit 0
fi
echo "stats-identity: differences ($out):"
cat "$out/diff.txt"
exit 1
