#!/usr/bin/env bash
# The test suite, as `make test` runs it: contract tests and everything else in two
# `ape test` processes side by side (each starts its own anvil on a free port), then both
# reports in order and one closing line with the totals. Arguments go to a single
# `ape test tests` run instead, e.g. `make test PYTEST_ARGS="-k escrow -x"`.
set -uo pipefail

if [ $# -gt 0 ]; then
  exec ape test tests "$@"
fi

# Both processes read the build; compile once first so they never write it at the same time.
ape compile >/dev/null || exit 1

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
ape test tests/contracts -p no:cacheprovider >"$logs/contracts.log" 2>&1 &
contracts=$!
ape test tests --ignore=tests/contracts -p no:cacheprovider >"$logs/rest.log" 2>&1 &
rest=$!
wait "$contracts"; contracts_status=$?
wait "$rest"; rest_status=$?

cat "$logs/contracts.log" "$logs/rest.log"

count() {  # the sum of "<n> <word>" in both pytest summary lines
  tail -n 3 "$logs/contracts.log" "$logs/rest.log" | grep -oE "[0-9]+ $1" | awk '{s += $1} END {print s + 0}'
}
echo
echo "coinpos: $(count passed) passed, $(( $(count failed) + $(count error) )) failed"
[ "$contracts_status" -eq 0 ] && [ "$rest_status" -eq 0 ]
