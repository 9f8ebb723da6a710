#!/usr/bin/env bash
# Reproduces models/asr/asr_fp32.onnx and models/asr/asr_int8.onnx (see models/asr/README.md).
# Needs: espeak-ng flite festival sox (apt), /usr/bin/python3 with torch + onnx, deno.
# Generated data goes to data/asr/ (git-ignored). About 1 h on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=data/asr
PY=/usr/bin/python3
mkdir -p "$D"

# 1. Sentences: hand-written command phrasings + general English (asterisk prompt texts,
#    licence texts), and commands sampled from the real intent templates over random registries.
$PY scripts/asr/sentences.py --kind general --n 100000 --seed 7 > "$D/general_all.txt"
head -1300 "$D/general_all.txt" > "$D/general_train.txt"
tail -n +1301 "$D/general_all.txt" > "$D/general_eval.txt"
$PY scripts/asr/sentences.py --kind train --n 4200 --seed 1 > "$D/cmd_train.txt"
cat "$D/cmd_train.txt" "$D/general_train.txt" | awk '{printf "tr%05d\t%s\n", NR, $0}' \
  > "$D/train_sentences.tsv"
deno run -A scripts/asr/commands.ts --kind train --n 3000 --seed 11 --out "$D/cmd2_train.tsv"
cut -f1,2 "$D/cmd2_train.tsv" > "$D/train2_sentences.tsv"
deno run -A scripts/asr/commands.ts --kind eval --n 600 --seed 99 --out "$D/eval_cmds.tsv" \
  --registry-out "$D/eval_registries"
(cut -f1,2 "$D/eval_cmds.tsv"; awk '{printf "og%05d\t%s\n", NR, $0}' "$D/general_eval.txt") \
  > "$D/eval_sentences.tsv"

# 2. Audio: training voices (flite kal16/awb/rms/kal, festival kal, espeak-ng variants), 30%
#    clean, 70% with noise (0-25 dB) and 40% of those reverberated; evaluation voices held out.
#    The shipped model used the first 2976 of train_sentences.tsv (commands) plus
#    batch2 (the 1300 general sentences and the first template commands) as far as rendered.
(head -2976 "$D/train_sentences.tsv") > "$D/batch1_sentences.tsv"
(tail -n 1300 "$D/train_sentences.tsv"; head -2000 "$D/train2_sentences.tsv") \
  > "$D/batch2_sentences.tsv"
$PY scripts/asr/render.py --sentences "$D/batch1_sentences.tsv" --out "$D/train" --jobs 2
$PY scripts/asr/render.py --sentences "$D/batch2_sentences.tsv" --out "$D/train2" --jobs 2 --seed 2
$PY scripts/asr/render.py --sentences "$D/eval_sentences.tsv" --out "$D/eval" --voices eval \
  --clean-fraction 1 --jobs 2 --seed 3

# 3. Phone targets with the runtime lexicon, MFCC with the runtime front end.
awk -F'\t' '{printf "%s\t-\t%s\n",$1,$2}' "$D/train_sentences.tsv" "$D/train2_sentences.tsv" \
  > "$D/all_train_manifest.tsv"
deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts \
  "$D/all_train_manifest.tsv" "$D/train_targets.tsv"
ls "$D"/train/*.wav > "$D/list_train1.txt"
ls "$D"/train2/*.wav > "$D/list_train2.txt"
deno task features "$D/list_train1.txt" "$D/feat_train1" --skip-bad --quiet
deno task features "$D/list_train2.txt" "$D/feat_train2" --skip-bad --quiet

# 4. Train (two stages, 10 + 15 minutes on one thread), export fp32 ONNX.
$PY scripts/asr/train.py --features "$D/feat_train1" --manifest "$D/all_train_manifest.tsv" \
  --targets "$D/train_targets.tsv" --out "$D/stage1" --minutes 10 --lr 3e-3 --channels 192
$PY scripts/asr/train.py --features "$D/feat_train1" "$D/feat_train2" \
  --manifest "$D/all_train_manifest.tsv" --targets "$D/train_targets.tsv" --out "$D/stage2" \
  --minutes 15 --lr 2e-3 --channels 192 --resume "$D/stage1/asr.pt"
cp "$D/stage2/asr_fp32.onnx" models/asr/asr_fp32.onnx

# 5. INT8 static PTQ with 200 calibration utterances.
$PY scripts/asr/quantize.py --checkpoint "$D/stage2/asr.pt" --fp32 models/asr/asr_fp32.onnx \
  --features "$D/feat_train1" --out models/asr/asr_int8.onnx

# 6. Evaluation (fits the confidence calibration on half of the eval set, writes it next to
#    the models) and the PocketSphinx comparison.
deno run -A scripts/asr/eval.ts --data "$D" --out docs/asr_eval.json --write-calibration \
  --pocketsphinx
