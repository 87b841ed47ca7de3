#!/usr/bin/env bash
# solc command-line shim over solcjs (the official compiler built to WebAssembly),
# installed by toolchain/provision_solc.py where no native solc of the pinned
# version can be had. py-solc-x finds it as ~/.solcx/solc-v<version>.
#
# Two solcjs quirks are handled here:
#  1. solcjs prints ">>> Cannot retry compilation with SMT ..." on stdout before
#     the JSON, which breaks the JSON decoder: lines starting with ">>>" are dropped.
#  2. On a pipe, Node exits before the pipe drains and the output is cut at 64 KiB:
#     solcjs writes to a temporary file, which is then copied to stdout.
# Its stdin is a temporary file too: Node's synchronous read of a non-blocking
# pipe fails with EAGAIN when the writer is slower than the reader.
set -euo pipefail

SOLCJS="@SOLCJS@"

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    # solcjs has no --allow-paths: its import callback already stays inside
    # --base-path and --include-path.
    --allow-paths) shift 2 || shift; continue ;;
    --allow-paths=*) shift; continue ;;
    *) args+=("$1"); shift ;;
  esac
done

in=$(mktemp "${TMPDIR:-/tmp}/solcjs-in.XXXXXX")
out=$(mktemp "${TMPDIR:-/tmp}/solcjs-out.XXXXXX")
trap 'rm -f "$in" "$out"' EXIT
if [[ " ${args[*]} " == *" --standard-json "* ]]; then
  cat >"$in"
fi
status=0
node "$SOLCJS" "${args[@]}" <"$in" >"$out" || status=$?
grep -v '^>>>' "$out" || true
exit "$status"
