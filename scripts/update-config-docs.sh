#!/bin/sh
# Regenerate the key table of docs/config-format.md and configs/default.json
# from the schema in lib/config.c (run after adding or changing a key).
# Usage: scripts/update-config-docs.sh [path/to/mmsim]
set -e
MMSIM=${1:-build/mmsim}
doc=docs/config-format.md
tmp=$(mktemp)
"$MMSIM" config --keys >"$tmp.keys"
awk -v keys="$tmp.keys" '
	/<!-- keys:begin -->/ { print; while ((getline l < keys) > 0) print l; skip = 1; next }
	/<!-- keys:end -->/ { skip = 0 }
	!skip { print }
' "$doc" >"$tmp" && mv "$tmp" "$doc"
rm -f "$tmp.keys"
echo "updated $doc"

# configs/default.json: every key with its default, sizes written with units,
# the description kept.
"$MMSIM" config >"$tmp.json"
python3 - "$tmp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
old = json.load(open('configs/default.json'))
out = {'description': old['description']}
out.update(d)
def unit(v):
    for s, n in (('G', 30), ('M', 20), ('K', 10)):
        if v and v % (1 << n) == 0:
            return '%d%s' % (v >> n, s)
    return v
out['memory']['size'] = unit(out['memory']['size'])
out['memory']['dram']['row'] = unit(out['memory']['dram']['row'])
for k in ('l1i', 'l1d', 'l2', 'llc'):
    out['cache'][k]['size'] = unit(out['cache'][k]['size'])
with open('configs/default.json', 'w') as f:
    json.dump(out, f, indent=2)
    f.write('\n')
PY
rm -f "$tmp.json"
echo "updated configs/default.json"
