#!/usr/bin/env bash
# Before/after figures of a grammar change on the same held-out audio, back to back in one run:
# the command ASR (scripts/asr/eval.ts) decoding data/asr's evaluation utterances against the
# templates as they were (bench/fixtures/templates_before.json) and against the built-in ones.
# Usage: scripts/asr/grammar_compare.sh [DATA_DIR] [OUT_PREFIX] [extra eval.ts args...]
#   e.g. nice -n 10 scripts/asr/grammar_compare.sh data/asr docs/asr_grammar --phone-bonus 2
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${1:-data/asr}
O=${2:-docs/asr_grammar}
shift 2 || true
deno run -A scripts/asr/eval.ts --data "$D" --out "${O}_before.json" \
  --templates bench/fixtures/templates_before.json "$@"
deno run -A scripts/asr/eval.ts --data "$D" --out "${O}_after.json" "$@"
