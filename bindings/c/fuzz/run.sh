#!/usr/bin/env bash
# Builds the libFuzzer targets with coverage and AddressSanitizer and runs each for SECONDS,
# starting from the seed corpora in bindings/c/fuzz/corpus/TARGET (which also hold every input
# that once crashed: replayed first, they are the regression tests):
#   load       C, over libidr.so: snapshot loader and log replay, plain and hash-only
#   calls      C, over libidr.so: random sequences of API calls with hostile arguments
#   csv jsonl  Swift (Tests/Fuzz): the readers; rows must not depend on the read size
#   normalize  Swift (Tests/Fuzz): every rule and option; idempotent, valid UTF-8, bounded
# A crash is saved under .build/fuzz/TARGET/ and fails the run.
# Usage: run.sh SECONDS
set -euo pipefail
seconds=${1:-30}
root=$(cd "$(dirname "$0")/../../.." && pwd)
scratch="$root/.build-fuzz"
work="$root/.build/fuzz"
mkdir -p "$work"
fuzzer_lib=$(ls /opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)

# libidr.so with coverage for the C targets.
swift build --package-path "$root" --product idr -Xswiftc -sanitize=fuzzer,address --scratch-path "$scratch" >/dev/null
lib="$scratch/debug"
for t in load calls; do
    /opt/swift/usr/bin/clang -g -O1 -fsanitize=fuzzer,address -I "$root/include" "$root/bindings/c/fuzz/fuzz_$t.c" \
        -o "$work/fuzz_$t" -L "$lib" -lidr -lxxhash -Wl,-rpath,"$lib" 2>/dev/null
done
# The Swift targets: SwiftPM names an executable's entry point itself, so the binary links
# libFuzzer without its main and starts the driver from Swift (Tests/Fuzz/FuzzTargets.swift).
swift build --package-path "$root" -c release --product idr-fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
    -Xswiftc -DFUZZING -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ >/dev/null

pass=0
fail=0
cd "$work"
for t in load calls csv jsonl normalize; do
    mkdir -p "corpus-$t" "$t"
    cp "$root"/bindings/c/fuzz/corpus/$t/* "corpus-$t/"
    case $t in
        load|calls) cmd=("./fuzz_$t"); max_len=65536 ;;
        *) cmd=(env IDR_FUZZ_TARGET=$t "$scratch/release/idr-fuzz"); max_len=4096 ;;
    esac
    if ASAN_OPTIONS=detect_leaks=0 "${cmd[@]}" -max_total_time="$seconds" -max_len=$max_len -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix="$t/" -print_final_stats=1 "corpus-$t" >"$t.log" 2>&1; then
        runs=$(grep -oE 'Done [0-9]+ runs' "$t.log" | grep -oE '[0-9]+' || echo "?")
        cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$t.log" | tail -1 || true)
        echo "fuzz $t: $runs runs in $seconds s, $cov, corpus $(ls "corpus-$t" | wc -l), no crash"
        pass=$((pass + 1))
    else
        tail -30 "$t.log"
        echo "fuzz $t: CRASH, input saved in $work/$t/"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
