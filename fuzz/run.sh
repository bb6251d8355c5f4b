#!/usr/bin/env bash
# Runs the license-parser fuzz target for a bounded time on the stable
# toolchain.
#
#   fuzz/run.sh [SECONDS]        (default 60; works from any directory)
#
# The committed seeds in fuzz/corpus/license_parser/ are copied to a temporary
# working corpus, so the fuzzer's corpus growth never lands in the repository.
# Crash reproducers are written to fuzz/artifacts/license_parser/ (ignored by
# git). Exits non-zero if libFuzzer finds a crash, a timeout, or runs out of
# memory.
#
# Environment:
#   FUZZ_JOBS    parallel fuzzing processes (default 1)
#   FUZZ_KEEP    set to 1 to keep the working corpus directory
#   FUZZ_ARGS    extra libFuzzer flags (e.g. "-max_len=8192")
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target=license_parser

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...);
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
export RUSTC_BOOTSTRAP=1

work="$(mktemp -d "${TMPDIR:-/tmp}/lmutil-fuzz-corpus.XXXXXX")"
if [ "${FUZZ_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$work"' EXIT
fi
cp -- "$here/corpus/$target"/* "$work/"
mkdir -p "$here/artifacts/$target"

echo "run.sh: fuzzing $target for ${seconds}s, working corpus $work" >&2
cd "$root"
status=0
# shellcheck disable=SC2086
cargo fuzz run "$target" "$work" -- \
    -max_total_time="$seconds" \
    -dict="$here/license.dict" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -max_len=16384 \
    -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" \
    -print_final_stats=1 \
    -artifact_prefix="$here/artifacts/$target/" \
    ${FUZZ_ARGS:-} || status=$?

echo "run.sh: working corpus now holds $(find "$work" -type f | wc -l) inputs" >&2
if [ "$status" -ne 0 ]; then
    echo "run.sh: the fuzzer stopped with status $status; reproducers:" >&2
    ls -l "$here/artifacts/$target/" >&2 || true
    echo "run.sh: replay one with: RUSTC_BOOTSTRAP=1 cargo fuzz run $target <file>" >&2
fi
exit "$status"
