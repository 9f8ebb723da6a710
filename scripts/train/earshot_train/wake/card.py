#!/usr/bin/python3
"""Write models/wake/<id>.md (the model card) from <id>.metrics.json (+ optional latency JSON
measured in onnxruntime-node by bench/wake_bench.ts).

    PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.card models/wake/hey_computer.metrics.json \
        [--latency build/wake/latency.json]
"""
import argparse
import json
import os


def pct(v):
    return "n/a" if v is None else f"{100 * v:.2f}%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("metrics")
    ap.add_argument("--latency", help="JSON {mode: {median_us, p90_us}} from bench/wake_bench.ts")
    ap.add_argument("--stream", help="JSON from scripts/wake/eval_stream.ts (FA/hour, latency)")
    args = ap.parse_args()
    with open(args.metrics) as f:
        m = json.load(f)
    lat = {}
    if args.latency and os.path.exists(args.latency):
        with open(args.latency) as f:
            lat = json.load(f)
    stream = {}
    if args.stream and os.path.exists(args.stream):
        with open(args.stream) as f:
            stream = json.load(f)
    mid, phrase = m["id"], m["phrase"]
    a = m["args"]
    files = {"fp32": f"{mid}.fp32.onnx", "int8": f"{mid}.int8.onnx", "mixed4": f"{mid}.onnx"}
    names = {"fp32": "fp32", "int8": "INT8", "mixed4": "4-bit mixed"}
    L = []
    L.append(f"# Wake word model: \"{phrase}\" (`{mid}`)\n")
    L.append(f"Shipped file: `models/wake/{mid}.onnx` (4-bit mixed precision). Comparison files: "
             f"`{files['fp32']}`, `{files['int8']}`.\n")
    L.append("## Model\n")
    total = sum(m["params"].values())
    L.append(f"- DS-CNN: conv 1x5 stride {a.get('stride', 2)} ({a['channels']} ch) -> "
             f"{a['blocks']} x [depthwise 1x9 + pointwise 1x1] -> mean over time -> dense -> "
             f"sigmoid. {total} parameters.")
    L.append(f"- Input `mfcc` [batch, {a['frames']}, 13] float32: the pipeline's MFCC frames "
             f"(pipeline/mfcc.ts, 10 ms hop, {a['frames'] / 100:.2f} s window, oldest first); "
             "feature normalization (mean, 1/std) is inside the model. Output `wake` [batch, 1] "
             "probability.")
    L.append(f"- Tuned threshold {m['threshold']:.3f} (ONNX metadata `threshold`): the "
             "threshold in 0.50-0.95 minimizing FRR + FAR on validation clips (held-out espeak "
             "variants), preferring thresholds with <= 0.2 % false accepts on real speech and "
             "music/noise clips.")
    L.append("- Bit widths (4-bit file): first conv and depthwise convs INT8 (QLinearConv, "
             "per-channel symmetric weights, uint8 activations); pointwise convs and the dense "
             "layer 4-bit (com.microsoft MatMulNBits, symmetric blocks of 16, packed nibbles, "
             "accuracy_level 1: the kernel unpacks 4-bit blocks as it multiplies; level 4, int8 "
             "compute, measured slower at this size). The last pointwise output stays float "
             "(ReLU), "
             "and mean over time + dense run as one 4-bit MatMulNBits over the flattened "
             "activations (dense weights tiled over time, scales divided by the step count: the "
             "same 4-bit codes). INT8 file: every layer QLinearConv / QLinearMatMul / "
             "QLinearGlobalAveragePool.\n")
    L.append("| layer | parameters |\n|---|---|")
    for k, v in m["params"].items():
        L.append(f"| {k} | {v} |")
    L.append("")
    L.append("## Files\n")
    L.append("| precision | file | bytes | weight storage (bytes by type) | median latency "
             "(onnxruntime-node, 1 thread) |")
    L.append("|---|---|---|---|---|")
    for mode in ["fp32", "int8", "mixed4"]:
        st = ", ".join(f"{k}: {v}" for k, v in m["storage"][mode].items())
        lt = lat.get(mode, {})
        lts = f"{lt['median_us']:.0f} us" if lt else "not measured"
        L.append(f"| {names[mode]} | `{files[mode]}` | {m['sizes'][mode]} | {st} | {lts} |")
    L.append("\n(MatMulNBits weights are UINT8 tensors holding two 4-bit codes per byte; the int8 "
             "codes of QLinearConv / QLinearMatMul are stored as UINT8 + 128, which onnxruntime "
             "runs exactly on every CPU (earshot_train/quant/portable.py). "
             "Latency: `scripts/wake/latency.ts`, the three precisions interleaved in one run on a "
             "shared 2-core machine; compare the ratios, absolute figures move with the load.)\n")
    L.append("## Accuracy (clip level, held-out test voices)\n")
    L.append(f"Test split: {m['test_clips']} clips of held-out voices: festival kal_diphone "
             "(a whole TTS engine never seen in training), flite rms and espeak-ng variants f2, "
             "m4, belinda, klatt4, Andrea, Gene in every accent; real speech from asterisk "
             "prompts and "
             "pocketsphinx test data files not used in training; two music tracks not used in "
             "training. Positives are scored clean and at 20, 10 and 5 dB SNR. Threshold "
             f"{m['threshold']:.3f}.\n")
    L.append("| precision | accuracy | FRR clean | FRR 20 dB | FRR 10 dB | FRR 5 dB | "
             "false accepts / negative clip |")
    L.append("|---|---|---|---|---|---|---|")
    for mode in ["fp32", "int8", "mixed4"]:
        t = m["results"][mode]["test"]
        s = t["frr_by_snr"]
        L.append(f"| {names[mode]} | {pct(t['accuracy'])} | {pct(s.get('clean'))} | "
                 f"{pct(s.get('20.0', s.get('20')))} | {pct(s.get('10.0', s.get('10')))} | "
                 f"{pct(s.get('5.0', s.get('5')))} | {pct(t['far'])} |")
    t = m["results"]["mixed4"]["test"]
    L.append("\nFalse accepts by negative kind (4-bit): " + ", ".join(
        f"{k} {pct(v)}" for k, v in t["far_by_kind"].items()) + ".")
    L.append("FRR by engine (4-bit, all SNRs): " + ", ".join(
        f"{k} {pct(v)}" for k, v in t["frr_by_engine"].items()) + ".\n")
    if stream:
        L.append("## Streaming evaluation\n")
        L.append(stream.get("markdown", "").replace("# Wake word", "### Wake word", 1))
        peer = os.path.join(os.path.dirname(args.stream), f"wake_{mid}_oww.json")
        if os.path.exists(peer):
            with open(peer) as f:
                o = json.load(f)
            fr = o["frr"]
            L.append(f"\nPeer on the same streams: openWakeWord hey_jarvis_v0.1 (threshold "
                     f"{o['threshold']}, benchmark only): FRR clean {pct(fr['clean'])}, 20 dB "
                     f"{pct(fr['20'])}, 10 dB {pct(fr['10'])}, 5 dB {pct(fr['5'])}, "
                     f"{o['faPerHour']:.2f} false accepts / hour, real-time factor "
                     f"{o['rtf']:.4f} (melspectrogram + embedding + classifier, one thread; "
                     "scripts/wake/peer_oww.ts).\n")
    L.append("## Sensitivity (validation accuracy drop when only one layer's weights are "
             "quantized)\n")
    L.append("| layer | 8-bit | 4-bit |\n|---|---|---|")
    for k, row in m["sensitivity"].items():
        L.append(f"| {k} | {row.get('8', row.get(8, 0)):+.2f} | {row.get('4', row.get(4, 0)):+.2f} |")
    L.append("")
    L.append("## Data\n")
    L.append(f"- {m['train_clips']} training clips, {m['val_clips']} validation, "
             f"{m['test_clips']} test, {a['frames'] / 100 + 0.04:.2f} s each, built by "
             "`scripts/train/earshot_train/synth/build_wake_data.py`: the phrase and its spelling variants from "
             "every espeak-ng accent x variant (except held-out ones) and flite kal, kal16, awb, "
             "slt at rates 0.8-1.3 and pitch -4..+4 semitones; hard negatives (similar-sounding and "
             "partial phrases, commands, general sentences) from the same voices; partial-phrase "
             "windows cut from positives; real speech (asterisk prompts, pocketsphinx test data) "
             "and music (asterisk-moh) windows.")
    L.append("- Augmentation: speed 0.9-1.1, synthetic room reverb (RT60 0.15-0.8 s), random "
             "microphone colouring, gain, background noise (white/pink/brown/hum), babble, real "
             "speech or music at 0-20 dB SNR (80 % of clips), phrase end 0-250 ms before the "
             "window end.")
    L.append("- Features: `deno task features` (the pipeline's own MFCC extractor).\n")
    L.append("## Training\n")
    L.append(f"Float training {a['epochs']} epochs (AdamW, one-cycle, BCE), BN folded into the "
             f"convs, then quantization-aware fine-tuning {a['qat_epochs']} epochs per precision "
             "(scripts/train/earshot_train/quant: fake quantization with straight-through gradients, "
             "activation ranges calibrated by running min/max on 2000 clips, frozen for the last "
             f"epoch). One CPU thread; {m['seconds']} s in total.\n")
    L.append("## Reproduce\n")
    L.append("```sh")
    L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_wake_data --phrase \"{phrase}\" "
             f"--out data/wake/{mid}")
    extra = a.get("extra_negatives") or []
    if extra:
        L.append("# hard negatives: training-split streams only (never the evaluation streams), "
                 "mined with an earlier model of this phrase")
        L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_mining_stream --data data/wake/{mid}")
        L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.synth.build_mining_stream --data data/wake/{mid} "
                 "--minutes 90 --seed 11 --name speech --speech-only")
        L.append(f"deno task features data/wake/{mid}/mine/stream.list data/wake/{mid}/mine/feats")
        L.append(f"deno task features data/wake/{mid}/mine/speech.list "
                 f"data/wake/{mid}/mine/feats_speech")
        L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.mine_hard_negatives --data data/wake/{mid} "
                 f"--checkpoint build/wake/{mid}.pt [--feats ... --out ...]")
    L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.train --data data/wake/{mid} --id {mid} "
             f"--phrase \"{phrase}\" --channels {a['channels']} --blocks {a['blocks']} "
             f"--stride {a.get('stride', 2)} --epochs {a['epochs']} --qat-epochs {a['qat_epochs']}"
             + (" --extra-negatives " + " ".join(extra) if extra else ""))
    L.append(f"deno run -A scripts/wake/latency.ts --model {mid} "
             f"--json build/wake/{mid}.latency.json")
    L.append(f"PYTHONPATH=scripts/train /usr/bin/python3 -m earshot_train.wake.card models/wake/{mid}.metrics.json "
             f"--latency build/wake/{mid}.latency.json --stream docs/eval/wake_{mid}.json")
    L.append("```")
    out = os.path.join(os.path.dirname(args.metrics), f"{mid}.md")
    with open(out, "w") as f:
        f.write("\n".join(L) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
