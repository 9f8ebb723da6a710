#!/usr/bin/env bash
# Regenerates assets/demo.wav: "hey computer ... turn on the kitchen light" spoken by
# flite's slt voice, 16 kHz mono 16-bit, with silence around the phrases and a quiet
# noise floor (-60 dBFS). Needs flite and sox (apt install flite sox).
set -euo pipefail
out=${1:-assets/demo.wav}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flite -voice slt -t "hey computer" -o "$tmp/a.wav"
flite -voice slt -t "turn on the kitchen light" -o "$tmp/b.wav"
for f in a b; do sox "$tmp/$f.wav" -r 16000 -c 1 -b 16 "$tmp/${f}16.wav"; done
sox -n -r 16000 -c 1 -b 16 "$tmp/s1.wav" trim 0 0.8
sox -n -r 16000 -c 1 -b 16 "$tmp/s2.wav" trim 0 0.5
sox -n -r 16000 -c 1 -b 16 "$tmp/s3.wav" trim 0 1.2
sox "$tmp/s1.wav" "$tmp/a16.wav" "$tmp/s2.wav" "$tmp/b16.wav" "$tmp/s3.wav" "$tmp/speech.wav"
len=$(soxi -D "$tmp/speech.wav")
sox -n -r 16000 -c 1 -b 16 "$tmp/noise.wav" synth "$len" pinknoise vol 0.001
sox -m "$tmp/speech.wav" "$tmp/noise.wav" -b 16 "$out"
soxi "$out" | grep -E "Duration|Sample Rate"
