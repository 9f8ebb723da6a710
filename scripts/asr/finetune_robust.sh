#!/usr/bin/env bash
# Voice-robust fine-tune of the shipped command model: fresh renders of
# the training engines' voices (espeak-ng, flite kal/kal16/awb/rms, festival kal_diphone; the
# evaluation's voices stay held out) with heavy voice augmentation (pitch +-5 st, tempo
# 0.85-1.2x, spectral tilt +-6 dB, speed 0.9-1.15x: render.py voice_effects) and noise that
# includes multi-talker babble made from other training renders, at 0-20 dB SNR; then
# fine-tuning models/asr/mfcc/asr_fp32.onnx (BatchNorm frozen: model.py init_from_onnx).
# Output: data/asr/robust/asr_fp32.onnx and asr_int8.onnx (not copied into models/: compare
# them first with scripts/asr/eval_onebreath.ts --asr-model).
# Usage: scripts/asr/finetune_robust.sh [train minutes, default 25]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=data/asr
PY=/usr/bin/python3
# The Python steps are modules of the package earshot_train (scripts/train, never installed).
export PYTHONPATH=scripts/train
MIN=${1:-25}
mkdir -p "$D"

# Babble talkers: general sentences in training voices, half of them voice-augmented.
$PY -m earshot_train.asr.sentences --kind general --n 100000 --seed 7 > "$D/general_all.txt"
head -600 "$D/general_all.txt" | awk '{printf "bb%05d\t%s\n", NR, $0}' > "$D/babble_sentences.tsv"
[ -d "$D/babble" ] || $PY -m earshot_train.asr.render --sentences "$D/babble_sentences.tsv" \
  --out "$D/babble" --clean-fraction 1 --voice-aug 0.5 --jobs 2 --seed 21

# Training sentences: template commands over random registries, hand-written phrasings and
# general English (out-of-grammar speech), as in make_model.sh (same seeds and splits).
head -1300 "$D/general_all.txt" | tail -n 1000 | awk '{printf "rg%05d\t%s\n", NR, $0}' \
  > "$D/robust_general.tsv"
$PY -m earshot_train.asr.sentences --kind train --n 2000 --seed 1 \
  | awk '{printf "rh%05d\t%s\n", NR, $0}' > "$D/robust_hand.tsv"
deno run -A scripts/asr/commands.ts --kind train --n 3000 --seed 11 --out "$D/robust_cmd_src.tsv"
cut -f1,2 "$D/robust_cmd_src.tsv" | sed 's/^[^\t]*/rc&/' > "$D/robust_cmd.tsv"
cat "$D/robust_cmd.tsv" "$D/robust_hand.tsv" "$D/robust_general.tsv" > "$D/robust_sentences.tsv"
[ -f "$D/robust/manifest.tsv" ] || $PY -m earshot_train.asr.render \
  --sentences "$D/robust_sentences.tsv" --out "$D/robust" --voice-aug 0.7 \
  --babble-dir "$D/babble" --snr 0 20 --clean-fraction 0.25 --jobs 2 --seed 31

awk -F'\t' '{printf "%s\t-\t%s\n",$1,$2}' "$D/robust_sentences.tsv" > "$D/robust_manifest.tsv"
deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts \
  "$D/robust_manifest.tsv" "$D/robust_targets.tsv"
ls "$D"/robust/*.wav > "$D/list_robust.txt"
deno task features "$D/list_robust.txt" "$D/feat_robust" --skip-bad --quiet

$PY -m earshot_train.asr.train --features "$D/feat_robust" --manifest "$D/robust_manifest.tsv" \
  --targets "$D/robust_targets.tsv" --channels 192 --out "$D/robust" --minutes "$MIN" \
  --lr 4e-4 --init-onnx models/asr/mfcc/asr_fp32.onnx
$PY -m earshot_train.asr.quantize --checkpoint "$D/robust/asr.pt" --fp32 "$D/robust/asr_fp32.onnx" \
  --features "$D/feat_robust" --out "$D/robust/asr_int8.onnx"
