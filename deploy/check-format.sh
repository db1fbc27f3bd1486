#!/usr/bin/env bash
# Formatting check: every C++ file we own is as clang-format (.clang-format) writes it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.h' '*.cc')
if [ ${#files[@]} -eq 0 ]; then echo "format: no files"; exit 0; fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: $f differs from clang-format (run: clang-format -i $f)" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "format: ok (${#files[@]} files)"
exit $bad
