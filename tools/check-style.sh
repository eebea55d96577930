#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-style.sh: the mechanical part of STYLE.md, checked on every tracked C file:
# SPDX line, no tabs, no trailing white space, files under 2,500 lines (1,000 in drivers/ and
# common/), clang-format clean (.clang-format); and pyflakes on the Python of tests/ and bench/.
# quickstart.sh installs clang-format and pyflakes3; without them those two checks fail.
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
    case "$f" in
    drivers/*.c | common/*.c)
        [ "$n" -gt 1000 ] && { echo "$f: $n lines, split it by concept (1,000 at most here)"; rc=1; } ;;
    esac
done
if ! command -v clang-format >/dev/null || ! command -v pyflakes3 >/dev/null; then
    echo "check-style: clang-format and pyflakes3 are needed (./quickstart.sh installs them)"
    rc=1
else
    out=$(clang-format --dry-run "${files[@]}" 2>&1 | grep -E '^[^ ].*: (error|warning):')
    if [ -n "$out" ]; then
        echo "$out" | head -20
        echo "check-style: run clang-format -i on the files above"
        rc=1
    fi
    mapfile -t py < <(git ls-files 'tests/*.py' 'bench/*.py' bench/run)
    pyflakes3 "${py[@]}" || rc=1
fi
[ $rc = 0 ] && echo "check-style: ${#files[@]} files clean"
exit $rc
