#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs, checks (deno task check),
# then runs the tests.
# Extra arguments go to `deno test` (e.g. --filter mfcc, --junit-path=build/junit.xml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# fmt --check, lint and the type check first: a red check fails the run like a red test.
deno task check >&2
exec deno task test "$@"
