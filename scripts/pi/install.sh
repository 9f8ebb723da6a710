#!/usr/bin/env bash
# Installs earshot's RUNTIME on a Raspberry Pi (64-bit Raspberry Pi OS / Debian 12, arm64) and
# sets it up as a systemd service. Nothing for tests or training (no torch, Chromium, qemu).
#
#   sudo scripts/pi/install.sh              install (run from the earshot checkout, e.g. /opt/earshot)
#   scripts/pi/install.sh --dry-run         print the steps, change nothing (no root needed)
#   scripts/pi/install.sh --prune-only DIR [--arch arm64]
#                                           keep only linux/<arch> in DIR (a copy of
#                                           node_modules/onnxruntime-node), nothing else
#
# Steps (each skipped when already done, so running it again is safe):
#   1. apt: alsa-utils (arecord, aplay), espeak-ng (spoken answers, words without a
#      pronunciation), and nodejs + npm when node is missing
#   2. Deno (pinned) from npm: npm install -g deno@VERSION
#   3. the npm packages of deno.json / deno.lock: deno install --frozen
#   4. onnxruntime-node: delete the binaries of other systems (darwin, win32, linux/x64 on a Pi)
#   5. system user "earshot" in group audio; /etc/earshot/{config,devices}.json if absent
#   6. systemd unit /etc/systemd/system/earshot.service (from scripts/pi/earshot.service)
# It prints what it did (or would do) and never starts the service: `sudo systemctl enable --now
# earshot` does.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

DENO_VERSION=2.9.6
DRY=0
PRUNE_ONLY=
ARCH=
ETC=/etc/earshot
UNIT_DIR=/etc/systemd/system
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --prune-only) PRUNE_ONLY=${2:?--prune-only needs a directory}; shift ;;
    --arch) ARCH=${2:?--arch needs arm64 or x64}; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Node's name for the machine (onnxruntime-node's bin/napi-v*/linux/<arch>).
if [ -z "$ARCH" ]; then
  case "$(uname -m)" in
    aarch64|arm64) ARCH=arm64 ;;
    x86_64|amd64) ARCH=x64 ;;
    *) echo "install: unsupported machine $(uname -m) (earshot runs on arm64 and x86_64)" >&2; exit 1 ;;
  esac
fi
case "$ARCH" in arm64|x64) ;; *) echo "install: --arch must be arm64 or x64" >&2; exit 2 ;; esac

say() { echo "install: $*"; }
# run CMD...: do it (or print it with --dry-run).
run() {
  if [ "$DRY" = 1 ]; then echo "install: would run: $*"; else say "run: $*"; "$@"; fi
}
as_root() { if [ "$(id -u)" = 0 ]; then run "$@"; else run sudo "$@"; fi; }

# Keep only bin/napi-v*/linux/$ARCH under an onnxruntime-node directory; print what goes.
prune_onnxruntime() {
  local dir=$1 removed=0
  [ -d "$dir/bin" ] || { echo "install: $dir/bin: not an onnxruntime-node package" >&2; return 1; }
  local napi os arch
  for napi in "$dir"/bin/napi-v*; do
    [ -d "$napi" ] || continue
    for os in "$napi"/*; do
      [ -d "$os" ] || continue
      for arch in "$os"/*; do
        [ -d "$arch" ] || continue
        if [ "$(basename "$os")" != linux ] || [ "$(basename "$arch")" != "$ARCH" ]; then
          run rm -rf "$arch"
          removed=$((removed + 1))
        fi
      done
      if [ "$DRY" = 0 ] && [ -z "$(ls -A "$os")" ]; then rmdir "$os"; fi
    done
  done
  local keep
  keep=$(find "$dir"/bin -path "*/linux/$ARCH" -type d | head -1)
  [ -n "$keep" ] || { echo "install: $dir has no linux/$ARCH binary" >&2; return 1; }
  if [ "$DRY" = 1 ]; then
    say "onnxruntime-node: would keep ${keep#"$dir"/}, would remove $removed other binaries"
  else
    say "onnxruntime-node: kept ${keep#"$dir"/}, removed $removed other binaries ($dir)"
  fi
}

if [ -n "$PRUNE_ONLY" ]; then
  prune_onnxruntime "$PRUNE_ONLY"
  exit 0
fi

[ "$DRY" = 1 ] && say "dry run: nothing is changed"
say "earshot in $ROOT, machine linux/$ARCH"

# 1. Debian packages.
apt_missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
installed alsa-utils || apt_missing+=(alsa-utils)
installed espeak-ng || apt_missing+=(espeak-ng)
command -v node >/dev/null 2>&1 || apt_missing+=(nodejs npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}"
else
  say "apt: alsa-utils, espeak-ng and node already installed"
fi

# 2. Deno from npm (the npm package brings the binary for this machine).
if command -v deno >/dev/null 2>&1 && deno --version | grep -q "^deno ${DENO_VERSION} "; then
  say "deno ${DENO_VERSION} already installed ($(command -v deno))"
else
  as_root npm install -g --silent "deno@${DENO_VERSION}"
fi

# 3. npm packages pinned in deno.json / deno.lock (no build scripts: onnxruntime-node's
#    postinstall would download GPU libraries; the CPU binaries ship inside the package).
if [ "$DRY" = 1 ] || [ ! -d node_modules/onnxruntime-node ] || ! deno install --frozen --quiet 2>/dev/null; then
  run deno install --frozen
else
  say "npm packages already installed (deno install --frozen: up to date)"
fi

# 4. Only this machine's onnxruntime binary, in node_modules and in Deno's npm cache (the
#    cache holds the package a second time; node_modules may be hard links into it).
ort=node_modules/onnxruntime-node
if [ -d "$ort" ]; then
  prune_onnxruntime "$(readlink -f "$ort")"
else
  say "would prune $ort to linux/$ARCH once installed"
fi
ort_version=$(sed -n 's/.*"onnxruntime-node": "npm:onnxruntime-node@\([0-9.]*\)".*/\1/p' deno.json)
npm_cache=$(NO_COLOR=1 deno info 2>/dev/null | sed -n 's/^npm modules cache: *//p')
cached="$npm_cache/registry.npmjs.org/onnxruntime-node/$ort_version"
if [ -n "$npm_cache" ] && [ -d "$cached/bin" ]; then
  prune_onnxruntime "$cached"
fi

# 5. Service user, configuration.
if id earshot >/dev/null 2>&1; then
  say "user earshot exists ($(id earshot))"
  id -nG earshot | grep -qw audio || as_root usermod -aG audio earshot
else
  as_root useradd --system --no-create-home --home-dir /var/lib/earshot \
    --shell /usr/sbin/nologin --groups audio earshot
fi
if [ -f "$ETC/config.json" ]; then
  say "$ETC/config.json exists: kept"
else
  as_root mkdir -p "$ETC"
  if [ "$DRY" = 1 ]; then
    say "would write $ETC/config.json: {\"devices\": {\"file\": \"$ETC/devices.json\"}}"
  else
    printf '{\n  "devices": { "file": "%s/devices.json" }\n}\n' "$ETC" >"$ETC/config.json"
    say "wrote $ETC/config.json"
  fi
fi
if [ -f "$ETC/devices.json" ]; then
  say "$ETC/devices.json exists: kept"
else
  as_root cp devices/example.devices.json "$ETC/devices.json"
  say "edit $ETC/devices.json to describe your devices (docs/devices.md)"
fi

# 6. systemd unit with this checkout's paths.
deno_bin=$(command -v deno || echo /usr/local/bin/deno)
unit=$(sed -e "s|@ROOT@|$ROOT|g" -e "s|@DENO@|$deno_bin|g" scripts/pi/earshot.service)
if [ -f "$UNIT_DIR/earshot.service" ] && [ "$(cat "$UNIT_DIR/earshot.service")" = "$unit" ]; then
  say "$UNIT_DIR/earshot.service up to date"
elif [ "$DRY" = 1 ]; then
  say "would write $UNIT_DIR/earshot.service (ExecStart=$deno_bin ... $ROOT/main.ts start)"
  as_root systemctl daemon-reload
else
  printf '%s\n' "$unit" | as_root tee "$UNIT_DIR/earshot.service" >/dev/null
  say "wrote $UNIT_DIR/earshot.service"
  as_root systemctl daemon-reload
fi

say "done. Next: deno task mics (find the microphone; set audio.micDevice in $ETC/config.json),"
say "then: sudo systemctl enable --now earshot; journalctl -u earshot -f"
