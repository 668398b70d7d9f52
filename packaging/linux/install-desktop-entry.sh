#!/bin/sh
# Add CNN Explorer to the desktop's application menu for the current user (no root needed).
# Run from the unpacked one-folder app: ./install-desktop-entry.sh   (undo: ./install-desktop-entry.sh --remove)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry=$data/applications/cnn-explorer.desktop
icon=$data/icons/hicolor/256x256/apps/cnn-explorer.png
if [ "${1:-}" = "--remove" ]; then
    rm -f "$entry" "$icon"
    exit 0
fi
mkdir -p "$(dirname "$entry")" "$(dirname "$icon")"
cp "$here/cnn-explorer.png" "$icon"
# The menu starts the program by its full path: the folder need not be on PATH.
sed "s|^Exec=cnn-explorer|Exec=\"$here/cnn-explorer\"|" "$here/cnn-explorer.desktop" > "$entry"
echo "added $entry"
