#!/usr/bin/env bash
# Runs earshot's arm64 build (Deno for linux-arm64 + onnxruntime-node's arm64 binary, as on a
# Raspberry Pi 4/5 with 64-bit Raspberry Pi OS) under qemu user emulation on an x86_64 machine.
# Emulated timings mean nothing; this checks that the arm64 binaries load and compute the same.
#   scripts/pi/qemu-run.sh run --input assets/demo.wav --json
# Needs: qemu-user-static, libc6:arm64, libstdc++6:arm64 (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
DENO_VERSION=2.9.6
dir=build/arm64
if [ ! -x "$dir/package/deno" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "@deno/linux-arm64-glibc@${DENO_VERSION}" >/dev/null &&
    tar xzf "deno-linux-arm64-glibc-${DENO_VERSION}.tgz")
fi
# -cpu max miscomputes fused int8 kernels under emulation; a Cortex-A72 is a Raspberry Pi 4.
export QEMU_CPU=cortex-a72
exec qemu-aarch64-static -cpu cortex-a72 "$dir/package/deno" run --allow-read --allow-env \
  --allow-ffi=./node_modules --allow-sys --allow-net --allow-run main.ts "$@"
