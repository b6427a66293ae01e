#!/bin/sh
# Regenerate the cachegrind cross-check data (docs/cache-model.md):
#   traces/recorded/{ls,sort,gzip}.lackey.xz   lackey --trace-mem=yes of 3 programs
#   tests/data/cachegrind.txt             cachegrind's totals for the same
#                                         runs, for each cache geometry below
# Run from the project root: sh tests/data/regen.sh. Needs valgrind and xz.
# Each program runs with an empty environment on inputs made here. One thing
# still differs from run to run: ld.so's strcspn over a string at the top of
# the stack reads up to 3 bytes past its end, into the AT_RANDOM bytes, and
# uses them as table indexes (one load's address varies, which can move a
# D1 miss). A padding variable P of 0..3 characters shifts the strings; the
# first padding with which 3 lackey runs agree is used for both tools, so
# lackey and cachegrind (separate runs) see the same stream. The test
# (tests/test_cachegrind.c) checks that too: Ir, Dr and Dw must match.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
vg=$(command -v valgrind)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# Inputs: 600 pseudo-random lines to sort, 6000 bytes of text to compress.
awk 'BEGIN { x = 12345; for (i = 0; i < 600; i++) {
	x = (x * 1103515245 + 12345) % 2147483648; printf "%d lorem %d\n", x % 100000, i } }' \
	> sort.in
awk 'BEGIN { x = 7; for (i = 0; i < 1000; i++) {
	x = (x * 69069 + 1) % 4294967296; printf "w%d ", x % 97; if (i % 12 == 11) print "" } }' \
	| head -c 6000 > gzip.in

# Geometries: size,ways,line for I1, D1, LL (sets must be powers of two).
geoms="32768,8,64:32768,8,64:262144,8,64
4096,2,64:4096,4,64:32768,4,64
8192,1,64:16384,2,64:196608,12,64"

lackey() { # out-file, pad, command...
	f=$1; pad=$2
	shift 2
	env -i "$pad" "$vg" --tool=lackey --basic-counts=no --trace-mem=yes \
		--log-file="$f" "$@" > /dev/null
	grep -v '^==' "$f" | md5sum
}

run() { # name, command...
	name=$1
	shift
	for pad in P= P=1 P=12 P=123 none; do
		[ "$pad" = none ] && { echo "$name: no repeatable run" >&2; exit 1; }
		a=$(lackey "$name.lackey" "$pad" "$@")
		b=$(lackey "$name.2" "$pad" "$@")
		c=$(lackey "$name.3" "$pad" "$@")
		[ "$a" = "$b" ] && [ "$b" = "$c" ] && break
	done
	echo "$name: padding $pad" >&2
	xz -9 -c "$name.lackey" > "$out/../../traces/recorded/$name.lackey.xz"
	for g in $geoms; do
		i1=${g%%:*}; rest=${g#*:}; d1=${rest%%:*}; ll=${rest#*:}
		env -i "$pad" "$vg" --tool=cachegrind --cache-sim=yes --I1="$i1" --D1="$d1" \
			--LL="$ll" --cachegrind-out-file="$name.cg" "$@" > /dev/null 2>&1
		printf '%s %s %s %s %s\n' "$name" "$i1" "$d1" "$ll" \
			"$(sed -n 's/^summary: //p' "$name.cg")" >> cachegrind.txt
	done
}

run ls /bin/ls /
run sort /usr/bin/sort sort.in
run gzip /bin/gzip -c gzip.in

{
	echo "# name I1 D1 LL (size,ways,line) then cachegrind's summary:"
	echo "# Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw"
	echo "# $("$vg" --version), made by tests/data/regen.sh"
	cat cachegrind.txt
} > "$out/cachegrind.txt"
