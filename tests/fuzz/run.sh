#!/bin/sh
# Run the libFuzzer targets for a bounded time (docs/fuzzing.md).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]     TARGET: config, trace, lackey
#                                             (default: config trace)
#
# Each target build/fuzz/fuzz_TARGET runs for SECONDS on its own, one after
# the other (FUZZ_PARALLEL=1 runs them side by side, one process each).
# The working corpus build/fuzz/corpus/TARGET grows from run to run; the
# seeds in tests/fuzz/corpus/TARGET are read, never written. Crashes,
# leaks, timeouts and contract violations land in build/fuzz/artifacts/.
# FUZZ_TIMEOUT (seconds, default 10) is libFuzzer's per-input limit, in
# wall time: raise it when the fuzzer runs niced on a busy host, where a
# starved input can pass 10 s without being slow.
# The log is build/fuzz/TARGET.log; the summary line is printed. Exit 1 if
# any target found something.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- config trace
dir=build/fuzz
mkdir -p "$dir/artifacts"

# Tokens of each input format, so the fuzzer need not guess them.
write_dict() {
	case $1 in
	config)
		for w in name description seed cores memory size dram_latency tlb l1d \
			entries ways latency mmu ad_update maxphyaddr cpu access quantum \
			context_switch cr3_load invlpg ipi send handler kernel max_order \
			flush_ceiling cost fault syscall mmap munmap page_alloc page_free \
			pcid inclusive l1i 4k 2m 1g stlb stlb1g sizes policy lru plru random \
			fifo 4k+2m 4k+2m+1g la57 smep smap pwc pml5e pml4e pdpte pde invpcid \
			tlb.l1d.ways= memory.size= seed= cores= 0x 4K 16M 4G 1T KiB MB \
			true false null 1e30 -1 9007199254740992 0x10000000000000000; do
			printf '"%s"\n' "$w"
		done ;;
	trace)
		for w in name description processes threads cpu ops op mmap munmap read \
			write fetch seq stride random repeat compute exit addr length prot fixed \
			kind data \
			size value expect base count seed cycles rw rwx none heap heap+0x1000 \
			0x7f0000000000 0x800000000000 0x100000000000000 4K 2M 1G 64P \
			true false null -1 0.5 \
			1000000000000 0xffffffffffffffff; do
			printf '"%s"\n' "$w"
		done
		printf '"\\"op\\": \\"%s\\""\n' mmap read write repeat seq ;;
	lackey)
		printf '"%s"\n' "I  " " L " " S " " M " "==1234== " "--1234-- " ",8" ",4096" \
			"ffffffffffffffff" "\\x0a" ;;
	rtrace)
		printf '"%s"\n' "MMSIMTR1" "\\x28\\xb5\\x2f\\xfd" "\\x00\\x00\\x00\\x00" \
			"\\xff\\xff\\xff\\xff" ;;
	esac
}

run_one() {
	t=$1
	bin=$dir/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is not built (make fuzz-build)" >&2
		return 1
	fi
	mkdir -p "$dir/corpus/$t"
	write_dict "$t" >"$dir/$t.dict"
	"$bin" -max_total_time="$secs" -max_len=4096 -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
		-dict="$dir/$t.dict" -artifact_prefix="$dir/artifacts/$t-" \
		-print_final_stats=1 "$dir/corpus/$t" "tests/fuzz/corpus/$t" \
		>"$dir/$t.log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$dir/$t.log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/$t.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/$t.log")
	if [ "$rc" -ne 0 ]; then
		echo "fuzz $t: FOUND SOMETHING (exit $rc); log $dir/$t.log"
		grep -E 'ERROR|SUMMARY|fuzz_(config|trace)|Test unit written|^[a-z_]+ returned' \
			"$dir/$t.log" | head -n 20
		return 1
	fi
	echo "fuzz $t: ${secs}s, ${execs:-?} execs (${rate:-?}/s): $done_line"
}

status=0
if [ "${FUZZ_PARALLEL:-0}" = 1 ]; then
	pids=""
	for t; do
		run_one "$t" &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || status=1
	done
else
	for t; do
		run_one "$t" || status=1
	done
fi
exit $status
