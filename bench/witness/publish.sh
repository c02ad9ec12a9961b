#!/usr/bin/env bash
# Publication latency added per board checkpoint by N loopback witnesses (docs/PERFORMANCE.md,
# "Witnessed publication"): the same log published with and without witnesses, round by round.
# Usage: bench/witness/publish.sh [ROUNDS] [WITNESSES] [RECORDS_PER_CHECKPOINT]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build tools/TVS.Cli -c Release -v quiet -nologo >/dev/null
date -u
uptime
dotnet tools/TVS.Cli/bin/Release/net10.0/tvs.dll witness bench-publish --rounds "${1:-200}" --witnesses "${2:-3}" --records "${3:-100}"
