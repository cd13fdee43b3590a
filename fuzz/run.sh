#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, one after the other.
#
#   fuzz/run.sh SECONDS [TARGET...]        targets: rewrite config select location
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo-fuzz passes nightly-only flags to
# rustc; on a stable toolchain RUSTC_BOOTSTRAP=1 lets them through. The default sanitizer is
# none (the crate has no unsafe code; a panic or a failed assertion is what is looked for);
# SANITIZER=address runs under AddressSanitizer instead. Debug assertions and overflow checks
# are on.
#
# The seeds in fuzz/seeds/<target>/ are copied into fuzz/corpus/<target>/ (not committed),
# which the fuzzer grows. A crash is saved under fuzz/artifacts/<target>/; reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none -a <target> fuzz/artifacts/<target>/crash-...
# and turn it into a regression test in tests/. Logs go to fuzz/logs/<target>.log, and the
# panic message of each new crash to fuzz/logs/<target>.log.crashes.
#
# Prints one line per target (executions, crashes, seconds) and exits non-zero if any
# target crashed.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(rewrite config select location)
fi
sanitizer=${SANITIZER:-none}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi

cd "$fuzz_dir/.."
mkdir -p "$fuzz_dir/logs"
status=0
summary=()
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    cp -n "$fuzz_dir/seeds/$target/"* "$corpus/" 2>/dev/null || true
    marker=$(mktemp)
    start=$(date +%s)
    set +e
    # Fork mode with crashes ignored: the target runs its whole time, and every crash is
    # kept as an artifact (the parent's status line does not count them, and its log does
    # not have their panic messages: each new artifact is run once more below for that).
    RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$fuzz_dir" -s "$sanitizer" -a "$target" "$corpus" -- \
        -max_total_time="$seconds" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -timeout=10 \
        -max_len=4096 \
        -dict="$fuzz_dir/dicts/$target.dict" \
        -artifact_prefix="$artifacts/" \
        -print_final_stats=1 >"$log" 2>&1
    code=$?
    set -e
    elapsed=$(($(date +%s) - start))
    # The fork-mode parent's last status line: `#RUNS: cov: ... oom/timeout/crash: O/T/C ...`.
    runs=$(grep -oE '^#[0-9]+: cov' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
    new_artifacts=$(find "$artifacts" -type f -newer "$marker" | sort)
    rm -f "$marker"
    crashes=$(printf '%s' "$new_artifacts" | grep -c . || true)
    : >"$log.crashes"
    for artifact in $new_artifacts; do
        echo "== $artifact" >>"$log.crashes"
        RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$fuzz_dir" -s "$sanitizer" -a "$target" \
            "$artifact" >>"$log.crashes" 2>&1 || true
    done
    distinct=$( (grep -oE "panicked at [^ ]+" "$log.crashes" || true) | sort -u | wc -l)
    line="$target: $runs executions, $crashes new crash(es) ($distinct distinct panic site(s)), ${elapsed}s, exit $code"
    echo "$line"
    summary+=("$line")
    if [[ $code -ne 0 || $crashes -ne 0 ]]; then
        status=1
        grep -A3 "panicked at" "$log.crashes" | head -40 >&2 || true
    fi
done
printf '%s\n' "${summary[@]}" >"$fuzz_dir/logs/summary.txt"
exit "$status"
