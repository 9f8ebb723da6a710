#!/usr/bin/env bash
# Installs what earshot's tests and training need on Debian 12 / Raspberry Pi OS:
# Deno (pinned, from npm), the npm packages of deno.json (deno.lock), and the Debian
# packages the tests use (Mosquitto, TTS voices, sox, ALSA tools, real recordings,
# PocketSphinx, Chromium, Python torch/onnx for the training scripts).
# Idempotent: skips what is already there. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
APT_PACKAGES=(
  mosquitto mosquitto-clients openssl    # real broker for the MQTT tests (and TLS certificates)
  sox alsa-utils                         # audio conversion; arecord (microphone), aplay (answers)
  espeak-ng flite festival               # TTS voices for synthesized test and training audio
  festvox-kallpc16k festvox-us-slt-hts festvox-kdlpc16k   # kdlpc16k: held-out voice of the evaluations
  asterisk-core-sounds-en-wav            # real recordings (one speaker, prompts)
  asterisk-moh-opsound-wav               # music for noise and false-accept tests
  pocketsphinx pocketsphinx-en-us pocketsphinx-testdata
  python3-torch python3-torchaudio python3-onnx python3-numpy
  chromium                               # dashboard browser test (playwright-core drives it)
  qemu-user-static                       # runs the arm64 (Raspberry Pi) build in tests
  systemd                                # systemd-analyze verifies the Pi service unit
  libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64
)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    sudo_ dpkg --add-architecture arm64
  fi
  echo "install-deps: apt packages: ${missing[*]}" >&2
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

if ! command -v deno >/dev/null 2>&1 || ! deno --version | grep -q "^deno ${DENO_VERSION} "; then
  echo "install-deps: deno ${DENO_VERSION} from npm" >&2
  sudo_ npm install -g --silent "deno@${DENO_VERSION}" >&2
fi

# npm packages pinned in deno.json / deno.lock (build scripts skipped: onnxruntime-node's
# postinstall would fetch CUDA libraries; the CPU binaries ship inside the package).
deno install --frozen >&2
