#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-style.sh: the mechanical part of STYLE.md, checked on every tracked C file:
# SPDX line, no tabs, no trailing white space, files under 2,500 lines, and clang-format clean
# (.clang-format) when clang-format is installed.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
rc=0
mapfile -t files < <(git ls-files '*.c' '*.h')
for f in "${files[@]}"; do
    head -1 "$f" | grep -q 'SPDX-License-Identifier' || { echo "$f:1: missing SPDX line"; rc=1; }
    grep -nP '\t' "$f" | sed "s|^|$f:|; s|$| (tab)|" | head -3 | grep . && rc=1
    grep -nP ' +$' "$f" | sed "s|^|$f:|; s|:.*| trailing white space|" | head -3 | grep . && rc=1
    n=$(wc -l < "$f")
    [ "$n" -gt 2500 ] && { echo "$f: $n lines, split it (STYLE.md: 2,500 at most)"; rc=1; }
done
if command -v clang-format >/dev/null; then
    out=$(clang-format --dry-run "${files[@]}" 2>&1 | grep -E '^[^ ].*: (error|warning):')
    if [ -n "$out" ]; then
        echo "$out" | head -20
        echo "check-style: run clang-format -i on the files above"
        rc=1
    fi
fi
[ $rc = 0 ] && echo "check-style: ${#files[@]} files clean"
exit $rc
