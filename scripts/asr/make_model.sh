#!/usr/bin/env bash
# Reproduces models/asr/mfcc/asr_fp32.onnx and models/asr/mfcc/asr_int8.onnx (see models/asr/README.md).
# Needs: espeak-ng flite festival sox ffmpeg asterisk-core-sounds-en-g722 (apt), /usr/bin/python3 with torch + onnx, deno.
# Generated data goes to data/asr/ (git-ignored). About 1.5 h on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
D=data/asr
PY=/usr/bin/python3
# The Python steps are modules of the package earshot_train (scripts/train, never installed).
export PYTHONPATH=scripts/train
mkdir -p "$D"

# 1. Sentences: hand-written command phrasings + general English (asterisk prompt texts,
#    licence texts), and commands sampled from the real intent templates over random registries.
$PY -m earshot_train.asr.sentences --kind general --n 100000 --seed 7 > "$D/general_all.txt"
head -1300 "$D/general_all.txt" > "$D/general_train.txt"
tail -n +1301 "$D/general_all.txt" > "$D/general_eval.txt"
$PY -m earshot_train.asr.sentences --kind train --n 4200 --seed 1 > "$D/cmd_train.txt"
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
#    Batches: 1 = the first 2976 hand-written commands, 2 = 1300 general sentences + template
#    commands, 3 = more template commands, 4 and 5 = flite-only with speed perturbation (and
#    pitch shift) as stand-ins for female voices. The shipped model's renders of batches 2 and
#    3 were stopped by time (2: 1663 files, 3: 983), so the template-command split below
#    approximates it; data/asr/list_train*.txt record the exact files used.
head -2976 "$D/train_sentences.tsv" > "$D/batch1_sentences.tsv"
(tail -n 1300 "$D/train_sentences.tsv"; head -360 "$D/train2_sentences.tsv") > "$D/batch2_sentences.tsv"
sed -n 361,1345p "$D/train2_sentences.tsv" > "$D/batch3_sentences.tsv"
(sed -n 1346,2000p "$D/train2_sentences.tsv"; shuf -n 500 --random-source=<(yes) \
  "$D/train_sentences.tsv" | sed 's/^tr/tp/') > "$D/batch4_sentences.tsv"
(shuf -n 900 --random-source=<(yes 1) "$D/cmd2_train.tsv" | cut -f1,2 | sed 's/^cm/c5/'
  shuf -n 500 --random-source=<(yes 2) "$D/train_sentences.tsv" | sed 's/^tr/t5/') \
  > "$D/batch5_sentences.tsv"
$PY -m earshot_train.asr.render --sentences "$D/batch1_sentences.tsv" --out "$D/train" --jobs 2
$PY -m earshot_train.asr.render --sentences "$D/batch2_sentences.tsv" --out "$D/train2" --jobs 2 --seed 2
$PY -m earshot_train.asr.render --sentences "$D/batch3_sentences.tsv" --out "$D/train3" --jobs 2 --seed 4
$PY -m earshot_train.asr.render --sentences "$D/batch4_sentences.tsv" --out "$D/train4" --jobs 2 --seed 5 \
  --flite-only --perturb 0.7
$PY -m earshot_train.asr.render --sentences "$D/batch5_sentences.tsv" --out "$D/train5" --jobs 2 --seed 6 \
  --flite-only --perturb 1.0
$PY -m earshot_train.asr.render --sentences "$D/eval_sentences.tsv" --out "$D/eval" --voices eval \
  --clean-fraction 1 --jobs 2 --seed 3

# 3. Phone targets with the runtime lexicon, MFCC with the runtime front end.
cat "$D/train_sentences.tsv" "$D/train2_sentences.tsv" "$D/batch4_sentences.tsv" \
  "$D/batch5_sentences.tsv" | awk -F'\t' '{printf "%s\t-\t%s\n",$1,$2}' | sort -u -k1,1 \
  > "$D/all_train_manifest.tsv"
deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts \
  "$D/all_train_manifest.tsv" "$D/train_targets_all5.tsv"
for b in "" 2 3 4 5; do
  ls "$D"/train$b/*.wav > "$D/list_train${b:-1}.txt"
  deno task features "$D/list_train${b:-1}.txt" "$D/feat_train${b:-1}" --skip-bad --quiet
done

# 4. Train: five time-bounded stages on one thread, each resuming the previous one with more
#    data (wall-clock minutes on the shared machine: 10, 15, ~12 (stopped at its plateau), 14,
#    12), then export fp32 ONNX. Stage 4 lists the perturbed batch twice.
T="--manifest $D/all_train_manifest.tsv --targets $D/train_targets_all5.tsv --channels 192"
F="$D/feat_train1"
$PY -m earshot_train.asr.train --features $F $T --out "$D/stage1" --minutes 10 --lr 3e-3
F="$F $D/feat_train2"
$PY -m earshot_train.asr.train --features $F $T --out "$D/stage2" --minutes 15 --lr 2e-3 \
  --resume "$D/stage1/asr.pt"
F="$F $D/feat_train3"
$PY -m earshot_train.asr.train --features $F $T --out "$D/stage3" --minutes 12 --lr 1.2e-3 \
  --resume "$D/stage2/asr.pt"
$PY -m earshot_train.asr.train --features $F "$D/feat_train4" "$D/feat_train4" $T --out "$D/stage4" \
  --minutes 14 --lr 1e-3 --resume "$D/stage3/asr.pt"
$PY -m earshot_train.asr.train --features $F "$D/feat_train4" "$D/feat_train5" $T --out "$D/stage5" \
  --minutes 12 --lr 8e-4 --resume "$D/stage4/asr.pt"
# 4b. Real speech: the asterisk prompts (one natural female speaker, the voice the TTS data
#     lacks; apt asterisk-core-sounds-en-g722 + ffmpeg), prompts sharing a sentence with the
#     out-of-grammar evaluation set left out; 1 clean + 3 noisy copies. Stage 6 lists them twice
#     (16 minutes). Tried and not shipped (worse on the held-out voices although the validation
#     phone error rate on training voices kept falling): stage 7 = stage 6 + 4 more noisy copies
#     (22 min), stage 8 = stage 6 trained 20 more minutes, stage 9 = stage 6 + 15 min with
#     --dropout 0.15 (more accurate, but out-of-grammar rejection in noise fell to 57-75%).
$PY -m earshot_train.asr.real_prompts --out "$D/train6" --exclude "$D/general_eval.txt" --copies 4 \
  --seed 8
awk -F'\t' '{printf "%s\t-\t%s\n",$1,$3}' "$D/train6/manifest.tsv" > "$D/real_manifest.tsv"
deno run --allow-read --allow-write --allow-run scripts/asr/phonemize.ts "$D/real_manifest.tsv" \
  "$D/train_targets_real.tsv"
cat "$D/all_train_manifest.tsv" "$D/real_manifest.tsv" > "$D/all6_manifest.tsv"
cat "$D/train_targets_all5.tsv" "$D/train_targets_real.tsv" > "$D/train_targets_all6.tsv"
ls "$D"/train6/*.wav > "$D/list_train6.txt"
deno task features "$D/list_train6.txt" "$D/feat_train6" --skip-bad --quiet
T="--manifest $D/all6_manifest.tsv --targets $D/train_targets_all6.tsv --channels 192"
F="$D/feat_train1 $D/feat_train2 $D/feat_train3 $D/feat_train4 $D/feat_train5"
$PY -m earshot_train.asr.train --features $F "$D/feat_train6" "$D/feat_train6" $T --out "$D/stage6" \
  --minutes 16 --lr 8e-4 --resume "$D/stage5/asr.pt"
S=stage6
cp "$D/$S/asr_fp32.onnx" models/asr/mfcc/asr_fp32.onnx

# 5. INT8 static PTQ with 200 calibration utterances.
$PY -m earshot_train.asr.quantize --checkpoint "$D/$S/asr.pt" --fp32 models/asr/mfcc/asr_fp32.onnx \
  --features "$D/feat_train1" --out models/asr/mfcc/asr_int8.onnx

# 6. Evaluation (tunes the decoder's phone bonus and fits the confidence calibration on half of
#    the eval set, writes both next to the models).
deno run -A scripts/asr/eval.ts --data "$D" --out docs/asr_eval.json --md docs/asr_eval.md \
  --fp32 models/asr/mfcc/asr_fp32.onnx --int8 models/asr/mfcc/asr_int8.onnx --write-calibration
deno run -A scripts/asr/latency.ts --data "$D" --n 150 --model models/asr/mfcc/asr_int8.onnx
# PocketSphinx side by side (same audio, same grammars as FSG; docs/asr_pocketsphinx.md).
deno run -A scripts/asr/peer_pocketsphinx.ts --data "$D" --out docs/asr_pocketsphinx.json
