#!/usr/bin/env bash
# Builds libidr.so with coverage (-sanitize=fuzzer,address) and runs the libFuzzer targets for
# SECONDS each. Crashes are saved under .build/fuzz/ and fail the run.
# Usage: run.sh SECONDS
set -euo pipefail
seconds=${1:-30}
root=$(cd "$(dirname "$0")/../../.." && pwd)
swift build --package-path "$root" --product idr -Xswiftc -sanitize=fuzzer,address --scratch-path "$root/.build-fuzz" >/dev/null
lib="$root/.build-fuzz/debug"
work="$root/.build/fuzz"
mkdir -p "$work/corpus-load"
cp "$root"/bindings/c/fuzz/corpus/* "$work/corpus-load/"
/opt/swift/usr/bin/clang -g -O1 -fsanitize=fuzzer,address -I "$root/include" "$root/bindings/c/fuzz/fuzz_load.c" \
    -o "$work/fuzz_load" -L "$lib" -lidr -Wl,-rpath,"$lib" 2>/dev/null
cd "$work"
if ASAN_OPTIONS=detect_leaks=0 ./fuzz_load -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 corpus-load \
    >fuzz_load.log 2>&1; then
    runs=$(grep -oE 'Done [0-9]+ runs' fuzz_load.log | grep -oE '[0-9]+' || echo "?")
    echo "fuzz_load: $runs runs in $seconds s, no crash"
    echo "fuzz: 1 passed, 0 failed"
else
    tail -30 fuzz_load.log
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi
