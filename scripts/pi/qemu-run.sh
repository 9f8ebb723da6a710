#!/usr/bin/env bash
# Runs earshot's arm64 build (Deno for linux-arm64 + onnxruntime-node's arm64 binary, as on a
# Raspberry Pi 4/5 with 64-bit Raspberry Pi OS) under qemu user emulation on an x86_64 machine.
# Emulated timings mean nothing; this checks that the arm64 binaries load and compute the same.
#   scripts/pi/qemu-run.sh run --input assets/demo.wav --json
# Needs: qemu-user-static, libc6:arm64, libstdc++6:arm64 (scripts/install-deps.sh installs them),
# and root (or sudo) for a private mount namespace.
#
# qemu-user passes the host's /proc/cpuinfo through, and onnxruntime's arm64 CPU detection parses
# it: an x86 cpuinfo makes it crash while loading (SIGSEGV) on some hosts and not others. So the
# emulated process sees a Raspberry Pi 4's cpuinfo (scripts/pi/cpuinfo-cortex-a72.txt), bind-mounted
# over /proc/cpuinfo in a private mount namespace that only this command sees. The answer is then
# the same on every x86_64 host.
set -euo pipefail
cd "$(dirname "$0")/../.."
DENO_VERSION=2.9.6
dir=build/arm64
cpuinfo=scripts/pi/cpuinfo-cortex-a72.txt

if [ "${EARSHOT_QEMU_NS:-}" != 1 ] && [ "$(uname -m)" != aarch64 ]; then
  command -v qemu-aarch64-static >/dev/null ||
    { echo "qemu-run: qemu-aarch64-static not found (apt-get install qemu-user-static)" >&2; exit 1; }
  if [ ! -x "$dir/package/deno" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "@deno/linux-arm64-glibc@${DENO_VERSION}" >/dev/null &&
      tar xzf "deno-linux-arm64-glibc-${DENO_VERSION}.tgz")
  fi
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null ||
      { echo "qemu-run: needs root or sudo for a private mount namespace (unshare -m)" >&2; exit 1; }
    as_root=(sudo --preserve-env=PATH)
  fi
  exec "${as_root[@]}" env EARSHOT_QEMU_NS=1 unshare -m --propagation private -- "$0" "$@"
fi

if [ "$(uname -m)" != aarch64 ]; then
  mount --bind "$cpuinfo" /proc/cpuinfo
fi
# -cpu max miscomputes fused int8 kernels under emulation; a Cortex-A72 is a Raspberry Pi 4.
export QEMU_CPU=cortex-a72
exec qemu-aarch64-static -cpu cortex-a72 "$dir/package/deno" run --allow-read --allow-env \
  --allow-ffi=./node_modules --allow-sys --allow-net --allow-run main.ts "$@"
