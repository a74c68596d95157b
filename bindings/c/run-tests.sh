#!/usr/bin/env bash
# Builds and runs everything C against libidr.so: examples (strict C99), header checks (C99, C++),
# the test suite under AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind, the
# reader/writer example under ThreadSanitizer, and the exported-symbol check.
# Usage: run-tests.sh LIBDIR [TSAN_LIBDIR]   (TSAN_LIBDIR: a libidr.so built with -sanitize=thread)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
libdir=$(cd "${1:?usage: run-tests.sh LIBDIR [TSAN_LIBDIR]}" && pwd)
tsan_libdir=${2:-}
out="$root/.build/c"
mkdir -p "$out"
strict=(-std=c99 -Wall -Wextra -pedantic -Werror -I "$root/include")
link=(-L "$libdir" -lidr -Wl,-rpath,"$libdir" -lpthread)
swiftlib=/opt/swift/usr/lib/swift/linux
pass=0
fail=0
step() {
    local name=$1; shift
    if "$@" >"$out/step.log" 2>&1; then pass=$((pass + 1)); echo "ok   $name"
    else fail=$((fail + 1)); echo "FAIL $name"; tail -40 "$out/step.log"; fi
}

for ex in quickstart batch threads; do
    step "example $ex builds (C99, -pedantic -Werror)" gcc "${strict[@]}" "$root/bindings/c/examples/$ex.c" -o "$out/$ex" "${link[@]}"
    step "example $ex runs" "$out/$ex"
done
step "example threads runs with a read mirror" "$out/threads" mirror
step "header compiles as C99" gcc "${strict[@]}" -c "$root/bindings/c/tests/header_c.c" -o "$out/header_c.o"
step "header compiles as C++" g++ -std=c++11 -Wall -Wextra -pedantic -Werror -I "$root/include" \
    "$root/bindings/c/tests/header_cpp.cpp" -o "$out/header_cpp" "${link[@]}"
step "header runs as C++" "$out/header_cpp"
step "exported symbols = header functions" bash "$root/bindings/c/tests/check-symbols.sh" "$root/include/idr.h" "$libdir/libidr.so"

step "test suite builds with ASan+UBSan" gcc "${strict[@]}" -g -fsanitize=address,undefined -fno-omit-frame-pointer \
    -fno-sanitize-recover=all "$root/bindings/c/tests/test_idr.c" -o "$out/test_idr_asan" "${link[@]}"
step "test suite under ASan+UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$out/test_idr_asan"
step "test suite builds plain" gcc "${strict[@]}" -g "$root/bindings/c/tests/test_idr.c" -o "$out/test_idr" "${link[@]}"
if command -v valgrind >/dev/null; then
    # Only definite leaks fail: the Swift runtime keeps metadata caches reachable until exit.
    step "test suite under valgrind" valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite \
        "$out/test_idr"
else
    echo "skip valgrind (not installed)"
fi
if [ -n "$tsan_libdir" ]; then
    tsan_libdir=$(cd "$tsan_libdir" && pwd)
    step "threads example builds with TSan" /opt/swift/usr/bin/clang -std=c99 -g -O1 -fsanitize=thread -I "$root/include" \
        "$root/bindings/c/examples/threads.c" -o "$out/threads_tsan" -L "$tsan_libdir" -lidr -L "$swiftlib" -ldispatch -lBlocksRuntime \
        -Wl,-rpath,"$tsan_libdir" -Wl,-rpath,"$swiftlib" -lpthread
    step "readers + writer under TSan" env TSAN_OPTIONS=halt_on_error=1 "$out/threads_tsan"
    step "readers + writer with a read mirror under TSan" env TSAN_OPTIONS=halt_on_error=1 "$out/threads_tsan" mirror
fi
echo "c: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
