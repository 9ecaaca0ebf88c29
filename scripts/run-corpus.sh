#!/usr/bin/env bash
# Runs the project's own corpus (test/scripts) on both targets the way CI does: one KTAP document
# per target on stdout (headings on stderr),
# one JUnit file per target when JUNIT_DIR is set, exit status as kselftest (0 pass, 1 a
# failure, 2 errors, 4 all skipped) combined over both targets (the worse one wins: 1 > 2 > 0 > 4,
# and 4 only when both skipped). Extra arguments go to both runs (e.g. -j 2, --ip all,
# --xfail FILE, --filter mptcp/). The kernel run needs root; without it the kernel half skips.
#
#   scripts/run-corpus.sh [SUITE OPTIONS...]
set -u
cd "$(dirname "$0")/.."

if [ ! -f dist/src/suite/bin.js ]; then
  npx tsc -p tsconfig.json >/dev/null || { echo "run-corpus: the build failed" >&2; exit 2; }
fi

status=()
for target in ts kernel; do
  echo "# mptcpdrill corpus on the $target target" >&2
  junit=()
  if [ -n "${JUNIT_DIR:-}" ]; then
    mkdir -p "$JUNIT_DIR"
    junit=(--junit "$JUNIT_DIR/corpus-$target.xml")
  fi
  node dist/src/suite/bin.js --target "$target" --format ktap "${junit[@]}" "$@" test/scripts
  status+=("$?")
done

combined=4
for s in "${status[@]}"; do
  case "$s" in
    1) combined=1 ;;
    2) [ "$combined" != 1 ] && combined=2 ;;
    0) [ "$combined" = 4 ] && combined=0 ;;
    4) ;;
    *) combined=$s ;;
  esac
done
echo "# corpus: ts exit ${status[0]}, kernel exit ${status[1]}; combined $combined" >&2
exit "$combined"
