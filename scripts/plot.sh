#!/bin/sh
# Plot one column of a sweep's results.csv (or summary.csv) against another,
# one line per value of a series column, through gnuplot (Debian package
# gnuplot-nox). See docs/sweeps.md, "Plots".
#
#   scripts/plot.sh RESULTS.csv X-COLUMN Y-COLUMN [options] OUT.png|OUT.svg|OUT.pdf
#     --series COLUMN     one line per value of COLUMN (e.g. trace)
#     --where COLUMN=VAL  keep only rows where COLUMN is VAL (repeatable)
#     --errors COLUMN     error bars from COLUMN (e.g. Y.ci95 of summary.csv)
#     --logx, --logy      logarithmic axes
#     --title T, --xlabel L, --ylabel L
#
# Rows with the same series and x (other axes or seeds varying) are averaged,
# with a warning: fix the other axes with --where, or plot summary.csv.
# Columns are named as in the CSV header. A non-numeric x (a policy name)
# becomes evenly spaced categories in first-seen order.
set -eu

usage() {
	sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 4 ] || usage
csv=$1 xcol=$2 ycol=$3
shift 3
series="" errors="" where="" logx="" logy="" title="" xlabel="" ylabel="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	--series) [ $# -ge 2 ] || usage; series=$2; shift 2 ;;
	--errors) [ $# -ge 2 ] || usage; errors=$2; shift 2 ;;
	--where) [ $# -ge 2 ] || usage; where="$where$2
"; shift 2 ;;
	--logx) logx=1; shift ;;
	--logy) logy=1; shift ;;
	--title) [ $# -ge 2 ] || usage; title=$2; shift 2 ;;
	--xlabel) [ $# -ge 2 ] || usage; xlabel=$2; shift 2 ;;
	--ylabel) [ $# -ge 2 ] || usage; ylabel=$2; shift 2 ;;
	-*) echo "plot.sh: unknown option $1" >&2; usage ;;
	*) [ -z "$out" ] || usage; out=$1; shift ;;
	esac
done
[ -n "$out" ] || usage
[ -r "$csv" ] || { echo "plot.sh: $csv: cannot read" >&2; exit 2; }
command -v gnuplot >/dev/null 2>&1 || {
	echo "plot.sh: gnuplot not found (Debian: apt-get install gnuplot-nox)" >&2
	exit 2
}
case $out in
*.png) term="pngcairo size 900,560 font 'sans,11'" ;;
*.svg) term="svg size 900,560 dynamic font 'sans,11'" ;;
*.pdf) term="pdfcairo size 6in,3.7in font 'sans,9'" ;;
*) echo "plot.sh: $out: the output must end in .png, .svg or .pdf" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Split the CSV into one "x y [err]" file per series, averaging duplicates.
# Writes $tmp/series (index<TAB>name per line) and $tmp/s<index>.dat; exits
# 2 with a message naming an unknown column.
WHERE=$where awk -v X="$xcol" -v Y="$ycol" -v S="$series" -v E="$errors" -v T="$tmp" '
function split_csv(line, f,    n, i, c, q, cur) {
	n = 0; cur = ""; q = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"" && substr(line, i + 1, 1) == "\"") { cur = cur c; i++ }
			else if (c == "\"") q = 0
			else cur = cur c
		} else if (c == "\"") q = 1
		else if (c == ",") { f[++n] = cur; cur = "" }
		else cur = cur c
	}
	f[++n] = cur
	return n
}
function col(name,    i) {
	for (i = 1; i <= nh; i++) if (h[i] == name) return i
	printf "plot.sh: no column \"%s\" in %s; columns:", name, FILENAME > "/dev/stderr"
	for (i = 1; i <= nh; i++) printf " %s", h[i] > "/dev/stderr"
	printf "\n" > "/dev/stderr"
	bad = 1
	exit 2
}
function numeric(s) { return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
NR == 1 {
	sub(/\r$/, "")
	nh = split_csv($0, h)
	xi = col(X); yi = col(Y)
	si = S != "" ? col(S) : 0
	ei = E != "" ? col(E) : 0
	nw = split(ENVIRON["WHERE"], w, "\n")
	for (k = 1; k <= nw; k++) {
		if (w[k] == "") continue
		eq = index(w[k], "=")
		if (!eq) { print "plot.sh: --where needs COLUMN=VALUE" > "/dev/stderr"; bad = 1; exit 2 }
		wc[k] = col(substr(w[k], 1, eq - 1)); wv[k] = substr(w[k], eq + 1)
	}
	next
}
{
	sub(/\r$/, "")
	split_csv($0, f)
	for (k in wc) if (f[wc[k]] != wv[k]) next
	if (f[yi] == "") next                      # an empty cell: no value
	s = si ? f[si] : Y
	if (!(s in sidx)) { sidx[s] = ++ns; sname[ns] = s }
	if (!numeric(f[xi])) cat = 1
	if (!(f[xi] in xseen)) { xseen[f[xi]] = ++nx; xname[nx] = f[xi] }
	key = sidx[s] SUBSEP f[xi]
	if (key in cnt) dup = 1
	cnt[key]++; sum[key] += f[yi]; esum[key] += ei ? f[ei] : 0
}
END {
	if (bad) exit 2
	if (ns == 0) { print "plot.sh: no rows to plot" > "/dev/stderr"; exit 2 }
	if (dup) print "plot.sh: warning: several rows per (series, x) averaged; " \
		"fix the other axes with --where" > "/dev/stderr"
	for (i = 1; i <= ns; i++) print i "\t" sname[i] > (T "/series")
	for (key in cnt) {
		split(key, kk, SUBSEP)
		x = cat ? xseen[kk[2]] - 1 : kk[2]
		printf "%s %.17g %.17g\n", x, sum[key] / cnt[key], esum[key] / cnt[key] \
			> (T "/s" kk[1] ".raw")
	}
	if (cat) for (i = 1; i <= nx; i++) print (i - 1) "\t" xname[i] > (T "/xtics")
}' "$csv"

# gnuplot draws lines in file order: sort each series by x.
for f in "$tmp"/s*.raw; do
	sort -g -k1,1 "$f" >"${f%.raw}.dat"
done

esc() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
{
	echo "set terminal $term"
	echo "set output \"$(esc "$out")\""
	echo "set datafile separator ' '"
	echo "set grid"
	echo "set format y '%.10g'"
	echo "set key outside right top"
	echo "set xlabel \"$(esc "${xlabel:-$xcol}")\" noenhanced"
	echo "set ylabel \"$(esc "${ylabel:-$ycol}")\" noenhanced"
	[ -n "$title" ] && echo "set title \"$(esc "$title")\" noenhanced"
	[ -n "$logx" ] && echo "set logscale x"
	[ -n "$logy" ] && echo "set logscale y"
	if [ -f "$tmp/xtics" ]; then
		printf 'set xtics ('
		sep=""
		while IFS='	' read -r i name; do
			printf '%s"%s" %s' "$sep" "$(esc "$name")" "$i"
			sep=", "
		done <"$tmp/xtics"
		printf ')\nset xrange [-0.5:%s]\n' "$(awk 'END { print NR - 0.5 }' "$tmp/xtics")"
	fi
	printf 'plot '
	sep=""
	while IFS='	' read -r i name; do
		label=$name
		[ -n "$series" ] && label="$series=$name"
		if [ -n "$errors" ]; then
			printf '%s"%s" using 1:2:3 with yerrorlines lw 2 pt 7 title "%s" noenhanced' \
				"$sep" "$tmp/s$i.dat" "$(esc "$label")"
		else
			printf '%s"%s" using 1:2 with linespoints lw 2 pt 7 title "%s" noenhanced' \
				"$sep" "$tmp/s$i.dat" "$(esc "$label")"
		fi
		sep=", "
	done <"$tmp/series"
	printf '\n'
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "plot.sh: wrote $out"
