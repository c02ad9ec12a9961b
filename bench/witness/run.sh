#!/usr/bin/env bash
# Cosignatures/s of the checkpoint witness (docs/PERFORMANCE.md, "Witness"): signing and
# verifying alone, add-checkpoint in process (each with its fsyncs), and over HTTP.
# Usage: bench/witness/run.sh [COUNT] [STATE_DIR]   (STATE_DIR on the disk a witness would use)
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-2000}"
dotnet build tools/TVS.Cli -c Release -v quiet -nologo >/dev/null
date -u
args=(witness bench --count "$count")
[ -n "${2:-}" ] && args+=(--state "$2")
dotnet tools/TVS.Cli/bin/Release/net10.0/tvs.dll "${args[@]}"
