#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, then runs it.
# Extra arguments go to `deno test` (e.g. --filter mfcc, --junit-path=build/junit.xml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec deno task test "$@"
