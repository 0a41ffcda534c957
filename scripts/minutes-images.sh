#!/bin/sh
# Render two pages of the demo's handover minutes into docs/images/ (docs/reference/report.md shows
# them): the first page and the first camera's page, PNG at 60 dpi (each well under 150 KB).
# Needs pdftoppm and pdftotext (poppler-utils). The demo runs on loopback only, in a throw-away
# config/data folder, never in yours:   make minutes-images   (or: sh scripts/minutes-images.sh)
set -eu
cd "$(dirname "$0")/.."
KITCHENCAM=${KITCHENCAM:-.venv/bin/kitchencam}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
KITCHENCAM_CONFIG_DIR="$work/config" KITCHENCAM_DATA_DIR="$work/data" KITCHENCAM_KEYRING=file \
    KITCHENCAM_LANG=vi "$KITCHENCAM" demo --json >"$work/demo.json" 2>"$work/demo.err"
pdf=$(ls "$work"/data/demo/*.pdf)
pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
camera=""
page=1
while [ "$page" -le "$pages" ]; do
    if pdftotext -f "$page" -l "$page" -enc UTF-8 "$pdf" - | grep -q "^Camera 1:"; then camera=$page; break; fi
    page=$((page + 1))
done
[ -n "$camera" ] || { echo "no page starts camera 1's section in $pdf" >&2; exit 1; }
mkdir -p docs/images
pdftoppm -r 60 -png -f 1 -l 1 -singlefile "$pdf" docs/images/minutes-page-1
pdftoppm -r 60 -png -f "$camera" -l "$camera" -singlefile "$pdf" docs/images/minutes-camera-1
for png in docs/images/minutes-page-1.png docs/images/minutes-camera-1.png; do
    size=$(wc -c <"$png")
    [ "$size" -lt 153600 ] || { echo "$png is $size bytes (over 150 KB): lower -r" >&2; exit 1; }
    echo "$png: $size bytes"
done
echo "from page 1 and page $camera of $pages"
