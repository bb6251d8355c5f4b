#!/usr/bin/env bash
# Runs fuzz targets, each for a bounded time, on the stable toolchain.
#
#   fuzz/run.sh [SECONDS] [TARGET...]   (default 60 seconds each; every
#                                        target; works from any directory)
#
# With FUZZ_RUNS=N each target stops after N inputs, or after SECONDS if
# that comes first (then run.sh says so, with the count it reached).
#
# Targets: license_parser, options_parser, protocol_frame. The committed
# seeds in fuzz/corpus/TARGET/ are copied to a temporary working corpus, so
# the fuzzer's corpus growth never lands in the repository. Crash
# reproducers are written to fuzz/artifacts/TARGET/ (ignored by git). Exits
# non-zero if libFuzzer finds a crash, a timeout, or runs out of memory in
# any target; every target runs regardless. Each target's final line says
# how many inputs it ran ("stat::number_of_executed_units").
#
# Environment:
#   FUZZ_RUNS    inputs per target (default: no limit but SECONDS)
#   FUZZ_JOBS    parallel fuzzing processes (default 1)
#   FUZZ_KEEP    set to 1 to keep the working corpus directory
#   FUZZ_ARGS    extra libFuzzer flags (e.g. "-max_len=8192")
#   FUZZ_BUILD_ARGS  extra cargo-fuzz build flags, for building and running
#                (default: none, cargo-fuzz's release build with debug
#                assertions and AddressSanitizer; "--dev" builds in a
#                fraction of the time and runs some ten times slower)
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
runs="${FUZZ_RUNS:-}"
case "$runs" in
    '') ;;
    *[!0-9]*) echo "run.sh: FUZZ_RUNS must be a number of inputs" >&2; exit 2 ;;
esac
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(license_parser options_parser protocol_frame)
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz
fi

# cargo-fuzz passes nightly-only flags (-Zsanitizer=address, ...);
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them.
export RUSTC_BOOTSTRAP=1

# The dictionary of each target.
dict_of() {
    case "$1" in
        license_parser) echo "$here/license.dict" ;;
        options_parser) echo "$here/options.dict" ;;
        protocol_frame) echo "$here/protocol.dict" ;;
        *) echo "run.sh: unknown target $1" >&2; exit 2 ;;
    esac
}

# With -jobs, libFuzzer writes each job's output to fuzz-N.log in the
# current directory; with one process its output stays on ours.
jobs=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi

# Says so when a target ran fewer inputs than FUZZ_RUNS (the time limit came
# first). With FUZZ_JOBS the counts are in fuzz-N.log instead, and this
# says nothing.
short_of_runs() {
    [ -n "$runs" ] || return 0
    local count
    count="$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)"
    if [ -n "$count" ] && [ "$count" -lt "$runs" ]; then
        echo "run.sh: $target: stopped by the ${seconds}s limit after $count of $runs inputs" >&2
    fi
}

cd "$root"
# Build every target once, before any clock starts.
build_args=()
# shellcheck disable=SC2206
[ -n "${FUZZ_BUILD_ARGS:-}" ] && build_args=(${FUZZ_BUILD_ARGS})
cargo fuzz build "${build_args[@]}"
limits=(-max_total_time="$seconds")
limit_text="${seconds}s"
if [ -n "$runs" ]; then
    limits+=(-runs="$runs")
    limit_text="$runs inputs or ${seconds}s"
fi
overall=0
for target in "${targets[@]}"; do
    dict="$(dict_of "$target")"
    work="$(mktemp -d "${TMPDIR:-/tmp}/lmutil-fuzz-$target.XXXXXX")"
    cp -- "$here/corpus/$target"/* "$work/"
    mkdir -p "$here/artifacts/$target"
    log="$work.log"
    echo "run.sh: fuzzing $target for $limit_text, working corpus $work" >&2
    status=0
    # shellcheck disable=SC2086
    cargo fuzz run "${build_args[@]}" "$target" "$work" -- \
        "${limits[@]}" \
        -dict="$dict" \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -max_len=16384 \
        "${jobs[@]}" \
        -print_final_stats=1 \
        -artifact_prefix="$here/artifacts/$target/" \
        ${FUZZ_ARGS:-} 2>&1 | tee "$log" || status=$?
    echo "run.sh: $target: working corpus now holds $(find "$work" -type f | wc -l) inputs" >&2
    [ "$status" -ne 0 ] || short_of_runs "$log"
    if [ "${FUZZ_KEEP:-0}" != 1 ]; then
        rm -rf "$work" "$log"
    fi
    if [ "$status" -ne 0 ]; then
        echo "run.sh: $target: the fuzzer stopped with status $status; reproducers:" >&2
        ls -l "$here/artifacts/$target/" >&2 || true
        echo "run.sh: replay one with: RUSTC_BOOTSTRAP=1 cargo fuzz run $target <file>" >&2
        overall=$status
    fi
done
exit "$overall"
