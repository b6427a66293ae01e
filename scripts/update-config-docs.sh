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
