#!/bin/sh
# Command-line checks of `mmsim sweep`, `mmsim report` and `mmsim plot` as a
# user runs them: a 4-point sweep with -j 2, a rerun that runs nothing, an
# interrupted sweep resumed to the same results, the `--emit jobs` file run
# through GNU parallel (or sh when parallel is not installed) and the
# `--emit slurm` script's tasks, each collected with `--collect DIR` to the
# same results.csv, the progress bar on a terminal, mmsim report, and a plot
# (its gnuplot script always; the PNG and SVG when gnuplot is installed).
# Usage: tests/sweep.sh path/to/mmsim   (from the project root)
set -u
MMSIM=${1:-build/mmsim}
case $MMSIM in /*) ;; *) MMSIM=$PWD/$MMSIM ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

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

trace() {  # trace FILE COUNT: random reads over 64 pages
	cat >"$1" <<EOF
{ "processes": [ { "threads": [ { "ops": [
  { "op": "mmap", "name": "buf", "length": "256K", "prot": "rw" },
  { "op": "stride", "base": "buf", "length": "256K", "stride": 4096 },
  { "op": "random", "base": "buf", "length": "256K", "count": $2 },
  { "op": "exit" } ] } ] } ] }
EOF
}
trace "$tmp/small.json" 3000
trace "$tmp/long.json" 400000
cat >"$tmp/s.json" <<EOF
{ "name": "smoke", "base": "$PWD/configs/tiny.json", "traces": ["small.json"],
  "axes": { "tlb.stlb.entries": [8, 16, 32, 64] },
  "overrides": { "tlb.stlb.ways": 4, "tlb.l1d.4k.entries": 4 },
  "metrics": ["result.cycles", "core0.stlb.miss", "core0.dtlb.mpka"] }
EOF
sed -e 's/small.json/long.json/' -e 's/\[8, 16, 32, 64\]/[4, 8, 16, 24, 32, 40, 48, 64]/' \
	"$tmp/s.json" >"$tmp/long-sweep.json"

# --- a sweep, and a rerun that has nothing to do
expect "sweep runs 4 points" 0 "4 points: 4 run, 0 already done, 0 failed" -- \
	"$MMSIM" sweep "$tmp/s.json" -j 2 --out "$tmp/a"
rows=$(wc -l <"$tmp/a/results.csv" 2>/dev/null || echo 0)
[ "$rows" -eq 5 ] && ok || bad "results.csv has $rows lines, want 5"
head -1 "$tmp/a/results.csv" | grep -qx 'point,tlb.stlb.entries,trace,seed,result.cycles,core0.stlb.miss,core0.dtlb.mpka' &&
	ok || bad "results.csv header: $(head -1 "$tmp/a/results.csv")"
[ "$(ls "$tmp/a/points" | grep -c '\.prov\.json$')" -eq 4 ] && ok || bad "4 provenance records"
cp "$tmp/a/results.csv" "$tmp/first.csv"
expect "rerun is a no-op" 0 "4 points: 0 run, 4 already done, 0 failed" -- \
	"$MMSIM" sweep "$tmp/s.json" -j 2 --out "$tmp/a"
cmp -s "$tmp/a/results.csv" "$tmp/first.csv" && ok || bad "rerun changed results.csv"
expect "dry run lists the points" 0 "0003                 64  small       1  done" -- \
	"$MMSIM" sweep "$tmp/s.json" --out "$tmp/a" --dry-run

# --- every example sweep stays valid (keys, values, traces, metrics)
for f in sweeps/*.json; do
	expect "example $f" 0 "" -- "$MMSIM" sweep "$f" --dry-run --out "$tmp/ex"
done

# --- bad input: nothing runs
sed 's/tlb.stlb.entries/tlb.stlb.entires/' "$tmp/s.json" >"$tmp/typo.json"
expect "misspelled axis key" 2 \
	"$tmp/typo.json: axes: tlb.stlb.entires: unknown key; did you mean \"tlb.stlb.entries\"?" -- \
	"$MMSIM" sweep "$tmp/typo.json" --out "$tmp/typo"
[ ! -e "$tmp/typo" ] && ok || bad "a rejected sweep created its folder"
expect "unknown metric" 2 "--metrics: core0.dtlb.mis: no such counter; did you mean \"core0.dtlb.miss\"?" -- \
	"$MMSIM" sweep "$tmp/s.json" --metrics result.cycles,core0.dtlb.mis --dry-run
expect "unknown option" 2 "unknown option: --frobnicate" -- "$MMSIM" sweep "$tmp/s.json" --frobnicate
expect "collect a missing folder" 2 "--collect DIR: not a folder: $tmp/nope" -- \
	"$MMSIM" sweep --collect "$tmp/nope"
expect "collect a folder no sweep made" 2 "$tmp/origin.json: cannot open" -- \
	"$MMSIM" sweep --collect "$tmp"
expect "bad --emit" 2 '--emit needs "jobs" or "slurm": pbs' -- "$MMSIM" sweep "$tmp/s.json" --emit pbs

# --- interrupted, then resumed: the same table as an uninterrupted run. (A
# background job of a script ignores SIGINT, so the interrupt is a SIGTERM
# to the sweep's process group, as a batch system's would be.)
"$MMSIM" sweep "$tmp/long-sweep.json" -j 2 -q --out "$tmp/whole" >/dev/null 2>&1
setsid "$MMSIM" sweep "$tmp/long-sweep.json" -j 2 -q --out "$tmp/cut" >/dev/null 2>&1 &
pid=$!
i=0   # interrupt once the first point is done
while [ $i -lt 400 ] && ! ls "$tmp/cut/points/"*.prov.json >/dev/null 2>&1; do
	sleep 0.02
	i=$((i + 1))
done
kill -TERM "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ ! -e "$tmp/cut/results.csv" ] || echo "sweep.sh: note: the sweep ended before the interrupt"
expect "resumed after an interrupt" 0 "0 failed" -- \
	"$MMSIM" sweep "$tmp/long-sweep.json" -j 2 --out "$tmp/cut"
cmp -s "$tmp/cut/results.csv" "$tmp/whole/results.csv" && ok ||
	bad "an interrupted and resumed sweep differs from a whole one"

# --- the job file: through GNU parallel when it is installed (scripts/deps.sh
# installs it), else sh; then `--collect DIR`, which needs no sweep file
"$MMSIM" sweep "$tmp/s.json" --out "$tmp/b" --emit jobs --mmsim "$MMSIM" >"$tmp/emit.out" 2>&1
[ "$(wc -l <"$tmp/b/jobs.txt")" -eq 4 ] && ok || bad "--emit jobs: $(wc -l <"$tmp/b/jobs.txt") lines, want 4"
grep -q "parallel -j .* < $tmp/b/jobs.txt" "$tmp/emit.out" && ok || bad "--emit jobs: no parallel hint"
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q GNU; then
	parallel -j 2 --halt now,fail=1 <"$tmp/b/jobs.txt" && ok || bad "GNU parallel ran the job file"
else
	echo "sweep.sh: note: GNU parallel not installed; running the job file with sh"
	sh -e "$tmp/b/jobs.txt" && ok || bad "sh ran the job file"
fi
(cd / && "$MMSIM" sweep --collect "$tmp/b" >"$tmp/out" 2>"$tmp/err")
grep -qF "4 points: 4 collected, 0 missing" "$tmp/out" && ok || bad "collect DIR: $(cat "$tmp/out" "$tmp/err")"
cmp -s "$tmp/b/results.csv" "$tmp/first.csv" && ok ||
	bad "results.csv from the job file differs from the local sweep's"
# the same with a sweep named by a relative path (so are its traces), run
# through parallel's --sshloginfile with ":" (this machine) as the hosts
"$MMSIM" sweep sweeps/quick.json -q --out "$tmp/ql" >/dev/null 2>&1
"$MMSIM" sweep sweeps/quick.json --out "$tmp/qj" --emit jobs --mmsim "$MMSIM" >/dev/null 2>&1
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q GNU; then
	printf ':\n' >"$tmp/hosts"
	parallel --sshloginfile "$tmp/hosts" --wd "$PWD" --halt now,fail=1 <"$tmp/qj/jobs.txt" &&
		ok || bad "parallel --sshloginfile ran the job file"
else
	sh -e "$tmp/qj/jobs.txt" && ok || bad "sh ran the quick job file"
fi
(cd / && "$MMSIM" sweep --collect "$tmp/qj" >"$tmp/out" 2>"$tmp/err")
grep -qF "4 points: 4 collected, 0 missing" "$tmp/out" && ok ||
	bad "collect DIR of a relative sweep: $(cat "$tmp/out" "$tmp/err")"
cmp -s "$tmp/qj/results.csv" "$tmp/ql/results.csv" && ok ||
	bad "quick: results.csv from the job file differs from the local sweep's"
# --emit-commands: the same lines on standard output, for a pipe
"$MMSIM" sweep "$tmp/s.json" --out "$tmp/b2" --emit-commands --mmsim "$MMSIM" >"$tmp/jobs" 2>/dev/null
[ "$(wc -l <"$tmp/jobs")" -eq 4 ] && ok || bad "--emit-commands: $(wc -l <"$tmp/jobs") lines, want 4"

# --- the Slurm array script: each task runs its line of DIR/jobs.txt
"$MMSIM" sweep "$tmp/s.json" --out "$tmp/c" --emit slurm -q --mmsim "$MMSIM" >/dev/null
grep -qx '#SBATCH --array=1-4' "$tmp/c/slurm.sh" && ok || bad "--emit slurm: no 4-task array"
for i in 1 2 3 4; do
	SLURM_ARRAY_TASK_ID=$i sh "$tmp/c/slurm.sh" || bad "Slurm task $i"
done
SLURM_ARRAY_TASK_ID=5 sh "$tmp/c/slurm.sh" 2>/dev/null && bad "Slurm task 5 of 4 succeeded" || ok
expect "collect after Slurm" 0 "4 points: 4 collected, 0 missing" -- \
	"$MMSIM" sweep --collect "$tmp/c"
cmp -s "$tmp/c/results.csv" "$tmp/first.csv" && ok ||
	bad "results.csv from the Slurm tasks differs from the local sweep's"

# --- the progress bar, on a terminal (script(1) gives the sweep one)
if command -v script >/dev/null 2>&1; then
	script -qec "$MMSIM sweep $tmp/s.json -j 2 --force --out $tmp/tty" /dev/null >"$tmp/tty.out" 2>&1
	grep -q 'sweep smoke \[#*\.*\] [0-9]*/4 points, .* ETA ' "$tmp/tty.out" && ok ||
		bad "no progress bar on a terminal: $(tr '\r' '\n' <"$tmp/tty.out" | head -3)"
	grep -qF '[########################] 4/4 points' "$tmp/tty.out" && ok || bad "the bar never filled"
fi

# --- the issue's done-when, with the PDE cache standing in for the THP mode
# (no kernel.thp key yet): STLB size x a second axis x 2 traces, -j 2,
# interrupted and resumed; the same sweep through the GNU parallel job file
# gives an identical results.csv; the STLB misses fall as the STLB grows,
# in the table and in the plotted data.
trace "$tmp/dw-a.json" 40000
trace "$tmp/dw-b.json" 60000
cat >"$tmp/dw.json" <<EOF
{ "name": "dw", "base": "$PWD/configs/tiny.json", "traces": ["dw-a.json", "dw-b.json"],
  "axes": { "tlb.stlb.entries": [8, 16, 32, 64], "mmu.pwc.pde.entries": [0, 32] },
  "overrides": { "tlb.stlb.ways": 4, "tlb.l1d.4k.entries": 4 },
  "metrics": ["result.cycles", "core0.stlb.miss", "core0.stlb.mpka"] }
EOF
setsid "$MMSIM" sweep "$tmp/dw.json" -j 2 -q --out "$tmp/dw" >/dev/null 2>&1 &
pid=$!
i=0
while [ $i -lt 400 ] && ! ls "$tmp/dw/points/"*.prov.json >/dev/null 2>&1; do
	sleep 0.02
	i=$((i + 1))
done
kill -TERM "-$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ ! -e "$tmp/dw/results.csv" ] || echo "sweep.sh: note: the done-when sweep ended before the interrupt"
expect "done-when sweep resumed" 0 "16 points:" -- "$MMSIM" sweep "$tmp/dw.json" -j 2 --out "$tmp/dw"
"$MMSIM" sweep "$tmp/dw.json" --out "$tmp/dw-par" --emit jobs --mmsim "$MMSIM" >/dev/null 2>&1
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q GNU; then
	parallel -j 2 --halt now,fail=1 <"$tmp/dw-par/jobs.txt" && ok || bad "parallel: done-when jobs"
else
	sh -e "$tmp/dw-par/jobs.txt" && ok || bad "sh: done-when jobs"
fi
expect "done-when collect" 0 "16 points: 16 collected, 0 missing" -- \
	"$MMSIM" sweep --collect "$tmp/dw-par"
cmp -s "$tmp/dw/results.csv" "$tmp/dw-par/results.csv" && ok ||
	bad "done-when: the job file's results.csv differs from the local sweep's"
# per (pde, trace), in entries order: misses never rise, and fall overall
awk -F, 'NR > 1 { k = $3 "," $4; m = $7
	if (k in last && m > last[k]) up = up " " $1
	if (!(k in first)) first[k] = m; last[k] = m }
	END { for (k in first) if (last[k] >= first[k]) flat = flat " " k
	      if (up != "" || flat != "") { print "rises at" up "; flat for" flat; exit 1 } }' \
	"$tmp/dw/results.csv" && ok || bad "done-when: STLB misses do not fall with STLB size"
expect "done-when plot" 0 "wrote" -- "$MMSIM" plot "$tmp/dw/results.csv" --x tlb.stlb.entries \
	--y core0.stlb.mpka --group trace --where mmu.pwc.pde.entries=32 --logx -o "$tmp/dw-plot" \
	--script-only
awk '/^\$line/ { prev = "" } /^[0-9]/ { if (prev != "" && $2 > prev + 0) bad = 1; prev = $2 }
	END { exit bad }' "$tmp/dw-plot.gp" && ok || bad "done-when: the plotted mpka rises"
[ "$(grep -c '^\$line[12] << EOD' "$tmp/dw-plot.gp")" -eq 2 ] && ok || bad "done-when: want 2 lines"

# --- report
expect "report text" 0 "Node 0, zone " -- "$MMSIM" report "$tmp/a/points/0000.json"
expect "report csv" 0 "core0.dtlb.miss," -- "$MMSIM" report "$tmp/a/points/0000.json" --format csv
expect "report json" 0 '"mm.pgfault":' -- "$MMSIM" report "$tmp/a/points/0000.json" --format json
expect "report bad format" 2 '"xml" is not one of: text, json, csv' -- \
	"$MMSIM" report "$tmp/a/points/0000.json" --format xml

# --- a plot: the script always; PNG and SVG when gnuplot is installed
expect "plot script" 0 "wrote $tmp/p.gp" -- "$MMSIM" plot "$tmp/a/results.csv" \
	--x tlb.stlb.entries --y core0.stlb.miss --group trace --logx -o "$tmp/p" --script-only
grep -qF 'set xlabel "tlb.stlb.entries (entries)"' "$tmp/p.gp" && ok || bad "plot: x label"
expect "plot bad column" 2 '--y: no column "core0.stlb.mis"' -- "$MMSIM" plot \
	"$tmp/a/results.csv" --x tlb.stlb.entries --y core0.stlb.mis -o "$tmp/q"
if command -v gnuplot >/dev/null 2>&1; then
	expect "plot" 0 "wrote $tmp/p.png, $tmp/p.pdf and $tmp/p.svg" -- "$MMSIM" plot \
		"$tmp/a/results.csv" --x tlb.stlb.entries --y core0.stlb.miss --group trace -o "$tmp/p" --pdf
	[ "$(head -c 5 "$tmp/p.pdf")" = '%PDF-' ] && ok || bad "plot --pdf is not a PDF"
	[ "$(head -c 4 "$tmp/p.png" | od -An -c | tr -d ' ')" = '211PNG' ] && ok || bad "plot is not a PNG"
	grep -q '<svg' "$tmp/p.svg" && grep -qF 'core0.stlb.miss (misses)' "$tmp/p.svg" && ok ||
		bad "plot: the SVG lacks the y label"
	# the legacy script is a wrapper of mmsim plot
	expect "plot.sh" 0 "wrote" -- env MMSIM="$MMSIM" scripts/plot.sh "$tmp/a/results.csv" \
		--x tlb.stlb.entries --y core0.stlb.miss -o "$tmp/r"
else
	echo "sweep.sh: note: gnuplot not installed; plot images not checked"
fi

echo "sweep: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
