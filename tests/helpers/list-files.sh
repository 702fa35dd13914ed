#!/bin/sh
# list-files.sh DIR GLOB: the names of the files in DIR matching GLOB, sorted, one per line.
cd "$1" 2>/dev/null || exit 0
for f in $2; do
        [ -f "$f" ] && echo "$f"
done | LC_ALL=C sort
