#!/usr/bin/env bash
# The functions declared in include/idr.h must be exactly the global symbols libidr.so exports.
set -euo pipefail
header=${1:?usage: check-symbols.sh include/idr.h path/to/libidr.so}
lib=${2:?}
declared=$(grep -oE '\bidr_[a-z0-9_]+\(' "$header" | tr -d '(' | sort -u)
exported=$(nm -D --defined-only --extern-only "$lib" | awk '{print $3}' | sort -u)
if [ "$declared" = "$exported" ]; then
    echo "symbols: $(echo "$declared" | wc -l) declared = exported"
else
    echo "symbols differ (< header only, > library only):"
    diff <(echo "$declared") <(echo "$exported") || true
    exit 1
fi
