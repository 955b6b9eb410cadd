#!/usr/bin/env bash
# Runs the tests of every package (or of the packages given) many times
# under the race detector, one package at a time, each within a bounded
# time, and reports every test that failed at least once, with how often
# and where its log is. A test that fails once in a hundred runs fails CI
# for everyone now and then: this finds it before CI does.
#
#   scripts/flakes.sh                      every package, COUNT runs each
#   scripts/flakes.sh ./httpipc/ ./fuzz/   only these
#   COUNT=50 scripts/flakes.sh ./httpipc/  more runs
#   RUN='TestShutdown' COUNT=200 scripts/flakes.sh ./httpipc/
#
# Environment:
#   COUNT=20        runs of each test (go test -count)
#   TIMEOUT=15m     bound of one package's go test (go test -timeout): a
#                   package that hangs is reported, and the next one runs
#   DEADLINE=90m    no package starts after this much time in total
#   RUN=            only tests matching this regexp (go test -run)
#   SHORT=          set to 1 to pass -short (quicker, fewer cases)
#   LOGDIR=         where logs go (default: a fresh temporary directory)
#
# Exit status: 0 every run passed, 1 some test failed at least once (or a
# package timed out), 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."

COUNT="${COUNT:-20}"
TIMEOUT="${TIMEOUT:-15m}"
DEADLINE="${DEADLINE:-90m}"
RUN="${RUN:-}"
LOGDIR="${LOGDIR:-$(mktemp -d -t appwire-flakes.XXXXXX)}"
mkdir -p "$LOGDIR"

case "$COUNT" in ''|*[!0-9]*) echo "flakes.sh: COUNT=$COUNT is not a number" >&2; exit 2 ;; esac
seconds() { # a Go duration of whole s, m or h units, in seconds
  local d="$1"
  case "$d" in
    *h) echo $(( ${d%h} * 3600 )) ;;
    *m) echo $(( ${d%m} * 60 )) ;;
    *s) echo $(( ${d%s} )) ;;
    *) echo "flakes.sh: DEADLINE=$d: want a number of s, m or h" >&2; exit 2 ;;
  esac
}
deadline=$(( $(date +%s) + $(seconds "$DEADLINE") ))

if (($#)); then
  mapfile -t pkgs < <(go list "$@")
else
  mapfile -t pkgs < <(go list ./...)
fi
((${#pkgs[@]})) || { echo "flakes.sh: no packages" >&2; exit 2; }

args=(-race -count="$COUNT" -timeout="$TIMEOUT")
[ -n "$RUN" ] && args+=(-run "$RUN")
[ -n "${SHORT:-}" ] && args+=(-short)

echo "go test ${args[*]}, ${#pkgs[@]} packages; logs in $LOGDIR"
failed=0
skipped=()
for pkg in "${pkgs[@]}"; do
  if (( $(date +%s) >= deadline )); then
    skipped+=("$pkg")
    continue
  fi
  log="$LOGDIR/$(echo "$pkg" | tr '/' '_').log"
  start=$(date +%s)
  if go test "${args[@]}" "$pkg" >"$log" 2>&1; then
    printf 'ok     %-60s %4ds\n' "$pkg" $(( $(date +%s) - start ))
    continue
  fi
  failed=1
  if grep -q '^panic: test timed out' "$log"; then
    printf 'HANG   %-60s timed out after %s: %s\n' "$pkg" "$TIMEOUT" "$log"
  elif ! grep -q -- '--- FAIL' "$log"; then
    printf 'FAIL   %-60s (build or setup): %s\n' "$pkg" "$log"
  elif grep -- '--- FAIL' "$log" | sed 's/^ *--- FAIL: \([^ ]*\).*/\1/' | sort | uniq -c | awk -v n="$COUNT" '$1 < n { f = 1 } END { exit !f }'; then
    printf 'FLAKY  %-60s %s\n' "$pkg" "$log"
  else
    printf 'FAIL   %-60s (every run): %s\n' "$pkg" "$log"
  fi
  # Each failing test, with how many of the COUNT runs failed (subtests
  # are counted under their own names).
  grep -- '--- FAIL' "$log" | sed 's/^ *--- FAIL: \([^ ]*\).*/\1/' | sort | uniq -c |
    while read -r n name; do printf '         %3d/%d  %s\n' "$n" "$COUNT" "$name"; done
done

if ((${#skipped[@]})); then
  echo "not run (DEADLINE=$DEADLINE reached): ${skipped[*]}"
  failed=1
fi
if ((failed)); then
  echo "some runs failed; logs in $LOGDIR"
  exit 1
fi
echo "every run passed"
