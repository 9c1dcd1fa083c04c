#!/usr/bin/env bash
# Keep the machine busy the way a neighbour on a shared 2-core box does: rebuild the 18F handbook
# index (read, chunk, embed, write) over and over until killed. Run it beside the test suite to
# check that no test leans on a wall-clock margin a loaded machine can miss:
#
#   npm run build
#   tools/testing/cpu-load.sh & load=$!    # the script itself in the background, so $! is its pid
#   npm test; kill $load
#
# It runs the compiled CLI, so build first. SHARED_MODELS (default ../shared/models) names the
# models folder; the corpus is ../corpora/18f-handbook/pages beside it. LOAD_LEXICAL_ONLY=1 skips
# the embedding model (lighter load, no model needed).
set -uo pipefail
cd "$(dirname "$0")/../.."

shared="${SHARED_MODELS:-../shared/models}"
docs="$shared/../corpora/18f-handbook/pages"
out="$(mktemp -d /tmp/load-index.XXXXXX)"
if [ "${LOAD_LEXICAL_ONLY:-}" = 1 ]; then
  model_args=(--lexical-only)
else
  model_args=(--model local/static-use-wordpiece-512 --model-dir "$shared")
fi

child=0
stop() {
  # The build runs in the background so this trap fires at once, not after the current round.
  if [ "$child" -ne 0 ]; then kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  rm -rf "$out" "$out.log"
  echo "cpu-load: stopped after $round rounds" >&2
  exit 0
}
trap stop TERM INT

round=0
while :; do
  started=$(date +%s)
  node dist/tools/prebuild-cli.js --docs "$docs" --out "$out" "${model_args[@]}" --full --no-vectra --quiet >/dev/null 2>"$out.log" &
  child=$!
  wait "$child"
  code=$?
  child=0
  if [ "$code" -ne 0 ]; then
    echo "cpu-load: the build failed with exit $code; giving up rather than spinning" >&2
    cat "$out.log" >&2
    rm -rf "$out" "$out.log"
    exit 1
  fi
  round=$((round + 1))
  echo "cpu-load: round $round took $(( $(date +%s) - started )) s" >&2
done
