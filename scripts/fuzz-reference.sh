#!/usr/bin/env bash
# Fuzzes every reference server "appwire serve" starts with that
# protocol's network fuzzer, and fails on any finding: the servers must
# survive their own fuzzers. CI runs it; so can anyone.
#
#   scripts/fuzz-reference.sh              10 s per protocol, a fresh seed each
#   DURATION=60s SEED=42 scripts/fuzz-reference.sh
#
# It builds the CLI, starts "appwire serve --listen 127.0.0.1:0", reads the
# URLs it prints, runs "appwire fuzz PROTOCOL URL" for every protocol that
# has a fuzzer, then stops serve with Ctrl-C (it must exit 0).
# Exit status: 0 no finding, 1 a finding (or serve failed), 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
SEED="${SEED:-$(date +%s)}"
work=$(mktemp -d -t appwire-fuzzref.XXXXXX)
trap 'rm -rf "$work"' EXIT

go build -o "$work/appwire" ./cmd/appwire || exit 1
"$work/appwire" serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
for _ in $(seq 1 300); do
  grep -q '^ready:' "$work/serve.out" && break
  kill -0 "$serve" 2>/dev/null || { echo "serve exited:"; cat "$work/serve.err"; exit 1; }
  sleep 0.1
done
grep -q '^ready:' "$work/serve.out" || { echo "serve not ready after 30 s"; kill "$serve"; exit 1; }

url() { awk -v p="$1" '$1 == p && NF == 2 { print $2 }' "$work/serve.out"; }
# The afb token is the one serve's own afb examples present.
token=$(grep -o -- '--token [^ ]*' "$work/serve.out" | head -1 | cut -d' ' -f2)

status=0
run() {
  echo "== appwire fuzz $* --duration $DURATION --seed $SEED"
  "$work/appwire" fuzz "$@" --duration "$DURATION" --seed "$SEED" || status=1
}
run afb "$(url afb)" --token "$token"
run simplepush "$(url simplepush)"
run httpipc "$(url httpipc)"
run loop "$(url loop)"
# serve's LIMP server allows 10000 calls a minute from one address; an
# input is three calls.
run limp "$(url limp)" --app appwire-demo --rate 40

kill -INT "$serve"
if ! wait "$serve"; then
  echo "serve did not exit 0 after Ctrl-C:"; cat "$work/serve.err"; status=1
fi
exit $status
