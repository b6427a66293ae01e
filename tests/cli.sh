#!/bin/sh
# Command-line checks of build/mmsim as a user runs it: exit codes and the one
# message bad input must give. Usage: tests/cli.sh path/to/mmsim
set -u
MMSIM=${1:-build/mmsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect NAME WANT_RC WANT_TEXT -- command...
expect() {
	name=$1 want_rc=$2 want=$3
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ] || { [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/out" "$tmp/err"; }; then
		echo "FAIL: $name: rc=$rc (want $want_rc), want text: $want"
		sed 's/^/  | /' "$tmp/err" | head -5
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

printf '{ "tlb": { "l1d": { "4k": { "entires": 64 } } } }\n' >"$tmp/typo.json"
expect "misspelled config key" 2 \
	"$tmp/typo.json: tlb.l1d.4k.entires: unknown key; did you mean \"entries\"?" -- \
	"$MMSIM" run -c "$tmp/typo.json" traces/seq-touch.json
expect "bad -s key" 2 "-s: tlb.l1d.4k.way: unknown key; did you mean" -- \
	"$MMSIM" run -c configs/default.json -s tlb.l1d.4k.way=4 traces/seq-touch.json
expect "missing trace" 2 "$tmp/nope.json: cannot open" -- \
	"$MMSIM" run -c configs/default.json "$tmp/nope.json"
expect "no config" 2 "no config given" -- "$MMSIM" run traces/seq-touch.json
expect "unknown option" 2 "unknown option: --frobnicate" -- \
	"$MMSIM" run -c configs/default.json --frobnicate traces/seq-touch.json
expect "unknown command" 2 "unknown command" -- "$MMSIM" frobnicate
printf '{ "processes": [ { "threads": [ { "cpu": 9, "ops": [ { "op": "exit" } ] } ] } ] }\n' \
	>"$tmp/cpu9.json"
expect "affinity beyond the cores" 2 "processes[0].threads[0].cpu: core 9 does not exist" -- \
	"$MMSIM" run -c configs/default.json "$tmp/cpu9.json"

expect "seq-touch runs" 0 "page faults 1024" -- \
	"$MMSIM" run -c configs/default.json traces/seq-touch.json
expect "segv kills one process" 0 "killed" -- \
	"$MMSIM" run -c configs/default.json traces/segv.json
expect "run --procfs views at exit" 0 "== /proc/1/smaps_rollup (process" -- \
	"$MMSIM" run -c configs/tiny.json --procfs traces/seq-touch.json --stats "$tmp/pf.json"
expect "report prints the procfs views" 0 "VmHWM:" -- "$MMSIM" report "$tmp/pf.json"
expect "stats written" 0 "" -- \
	"$MMSIM" run -q -c configs/default.json traces/demo.json --stats "$tmp/a.json"
"$MMSIM" run -q -c configs/default.json traces/demo.json --stats "$tmp/b.json"
if cmp -s "$tmp/a.json" "$tmp/b.json" && grep -q '"core0.dtlb.miss"' "$tmp/a.json"; then
	pass=$((pass + 1))
else
	echo "FAIL: two runs of the demo differ, or the stats lack core0.dtlb.miss"
	fail=$((fail + 1))
fi

# check.interval (config) turns --check on; --check[=N] overrides it
checks() { # ARGS... -> run.checks of a run of seq-touch (1024 faults)
	"$MMSIM" run -q -c configs/default.json --stats "$tmp/c.json" "$@" traces/seq-touch.json &&
		python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counters"]["run.checks"])' \
			"$tmp/c.json"
}
c_off=$(checks) c_cfg=$(checks -s check.interval=256) c_cli=$(checks -s check.interval=256 --check=128)
c_one=$(checks --check)
if [ "$c_off" = 0 ] && [ "$c_cfg" -gt 4 ] && [ "$c_cli" -gt "$c_cfg" ] && [ "$c_one" -gt "$c_cli" ]; then
	pass=$((pass + 1))
else
	echo "FAIL: run.checks: none $c_off, check.interval=256 $c_cfg, and --check=128 $c_cli, --check $c_one"
	fail=$((fail + 1))
fi

# mmsim lackey against cachegrind's own totals for the same run of ls
if command -v xz >/dev/null 2>&1; then
	want=$(awk '$1 == "ls" && $2 == "32768,8,64" { print $5, $6, $7, $8, $9, $10, $11, $12, $13 }' \
		tests/data/cachegrind.txt)
	got=$("$MMSIM" lackey -c configs/cachegrind.json traces/recorded/ls.lackey.xz |
		awk '/refs/ { printf "%s %s %s ", $(NF-6), $(NF-3), $NF }' | sed 's/ $//')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: mmsim lackey on ls: got '$got', cachegrind says '$want'"
		fail=$((fail + 1))
	fi
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
