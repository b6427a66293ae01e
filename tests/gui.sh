#!/bin/sh
# The GUI's real window under Xvfb (docs/gui.md): start `mmsim gui` paused,
# press '.' twice (two steps) and 's' (a screenshot, named by its step),
# then 'q', and check that mmsim-000002.png was saved at the window's size
# and that mmsim finished the run and exited 0.
# Skipped (exit 0, with a note) when Xvfb or xdotool is missing or mmsim was
# built without the GUI; scripts/deps.sh installs them.
#   usage: tests/gui.sh build/mmsim
set -u
mmsim=${1:?usage: tests/gui.sh MMSIM}
skip() { echo "gui.sh: skipped: $*"; exit 0; }
fail() { echo "gui.sh: FAIL: $*"; exit 1; }

command -v Xvfb >/dev/null 2>&1 || skip "no Xvfb (apt-get install xvfb)"
command -v xdotool >/dev/null 2>&1 || skip "no xdotool (apt-get install xdotool)"
dir=$(mktemp -d /tmp/mmsim-guitest.XXXXXX)
xpid=""
gpid=""
cleanup() {
	[ -n "$gpid" ] && kill "$gpid" 2>/dev/null
	[ -n "$xpid" ] && kill "$xpid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/trace.json" <<'EOF'
{"processes": [{"name": "p", "threads": [{"cpu": 0, "ops": [
  {"op": "mmap", "name": "b", "length": "1M"},
  {"op": "stride", "base": "b", "length": "1M", "stride": 4096, "write": 1.0}]}]}]}
EOF
if ! "$mmsim" gui -c configs/tiny.json "$dir/trace.json" --screenshot "$dir/probe.png" \
	--at 1 2>"$dir/probe.err"; then
	grep -q "built without the GUI" "$dir/probe.err" && skip "mmsim built without the GUI"
	fail "headless probe: $(cat "$dir/probe.err")"
fi

# Xvfb picks a free display and writes its number to fd 3.
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$dir/display" \
	2>"$dir/xvfb.err" &
xpid=$!
for _ in $(seq 100); do
	[ -s "$dir/display" ] && break
	sleep 0.1
done
[ -s "$dir/display" ] || fail "Xvfb did not start: $(cat "$dir/xvfb.err")"
DISPLAY=:$(cat "$dir/display")
export DISPLAY

# Under ASan (make SAN=1 test), SDL's X11 and D-Bus backends leave a few
# allocations of their own at exit: leak checking stays off for this one
# process (the headless tests in tests/test_gui.c check gui/ for leaks).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
"$mmsim" gui -c configs/tiny.json "$dir/trace.json" --paused --shot-dir "$dir" -q \
	>"$dir/gui.out" 2>"$dir/gui.err" &
gpid=$!
wid=$(timeout 20 xdotool search --sync --onlyvisible --name '^mmsim$' | head -n 1)
[ -n "$wid" ] || fail "no mmsim window appeared: $(cat "$dir/gui.err")"
# No window manager: give the window the input focus and the pointer (with
# focus PointerRoot, keys go to the window under it), then press 's' until
# a shot at step 0 shows the window takes keys.
ready=""
for _ in $(seq 40); do
	xdotool windowfocus "$wid" 2>/dev/null
	xdotool mousemove --window "$wid" 600 400 2>/dev/null
	xdotool key s
	sleep 0.25
	if [ -s "$dir/mmsim-000000.png" ]; then
		ready=1
		break
	fi
done
[ -n "$ready" ] || fail "the window took no key: $(cat "$dir/gui.err")"
xdotool key --delay 100 period period s

shot="$dir/mmsim-000002.png"
for _ in $(seq 100); do
	[ -s "$shot" ] && break
	sleep 0.1
done
[ -s "$shot" ] || fail "no $shot after '. . s' (saved: $(ls "$dir"))"
xdotool key q
rc=""
for _ in $(seq 300); do
	if ! kill -0 "$gpid" 2>/dev/null; then
		wait "$gpid"
		rc=$?
		break
	fi
	sleep 0.1
done
gpid_done=$gpid
gpid=""
[ -n "$rc" ] || { kill "$gpid_done"; fail "mmsim gui did not exit after 'q'"; }
[ "$rc" -eq 0 ] || fail "mmsim gui exited $rc: $(cat "$dir/gui.err")"
# a PNG of the window's size: the IHDR chunk holds width and height
size=$(od -An -tu1 -j16 -N8 "$shot" | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
[ "$size" = "1280x800" ] || fail "screenshot is $size, not 1280x800"
echo "gui.sh: window test passed (paused, 2 steps, screenshot $size, quit)"
