#!/usr/bin/env bash
# The test command (README): installs what the tests need, runs every test project, and ends
# with one line "N passed, N failed". Exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/.tvs/test-results"
rm -rf "$results"; mkdir -p "$results"

# Node tools for the interop checks that run snarkjs beside TVS (tests skip them without node
# on a developer's machine and fail under CI=true).
if command -v npm >/dev/null 2>&1 && [[ -f tools/circuits/package.json ]]; then
  (cd tools/circuits && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "warning: npm ci failed in tools/circuits" >&2
fi
if command -v npm >/dev/null 2>&1 && [[ -f tools/hpke/package.json ]]; then
  (cd tools/hpke && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "warning: npm ci failed in tools/hpke" >&2
fi
if command -v npm >/dev/null 2>&1 && [[ -f tools/registry/package.json ]]; then
  (cd tools/registry && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "warning: npm ci failed in tools/registry" >&2
fi
if command -v npm >/dev/null 2>&1 && [[ -f tools/voter-js/package.json ]]; then
  (cd tools/voter-js && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "warning: npm ci failed in tools/voter-js" >&2
fi
if command -v npm >/dev/null 2>&1 && [[ -f tools/trustees-js/package.json ]]; then
  (cd tools/trustees-js && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || echo "warning: npm ci failed in tools/trustees-js" >&2
fi

# Go and golang.org/x/mod (note, tlog) for the independent RFC 9162 / signed-note check of the
# bulletin board (tools/tlog-verify); the test skips without them on a developer's machine and
# fails under CI=true.
if ! command -v go >/dev/null 2>&1 || [[ ! -d /usr/share/gocode/src/golang.org/x/mod ]]; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq golang-go golang-golang-x-mod-dev) >/dev/null 2>&1 \
      || echo "warning: could not install golang-go golang-golang-x-mod-dev" >&2
  fi
fi

# SoftHSM2 (a PKCS#11 token in files) and OpenSC's pkcs11-tool (the independent reader of what
# the token says about its keys) for the hardware-key tests (tests/TVS.Tests/Pkcs11).
if [[ ! -f /usr/lib/softhsm/libsofthsm2.so ]] || ! command -v pkcs11-tool >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq softhsm2 opensc || (apt-get update -qq && apt-get install -y -qq softhsm2 opensc)) >/dev/null 2>&1 \
      || echo "warning: could not install softhsm2 opensc" >&2
  fi
fi

# PostgreSQL and the local S3 server for the storage tests (installs postgresql with apt-get and
# npm ci in tools/s3-server); coordinates go to .tvs/services.env, which the tests read. The tests
# skip without them on a developer's machine and fail under CI=true.
bash tests/services.sh start || echo "warning: tests/services.sh could not start every service" >&2
if [[ "${CI:-}" == "true" ]]; then trap 'bash "$root/tests/services.sh" stop' EXIT; fi

dotnet build TVS.sln -c Release -nologo -v quiet -clp:ErrorsOnly
build=$?
if [[ $build -ne 0 ]]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# A test that hangs must not take the whole run with it: the blame collector stops the test host
# after TVS_TEST_HANG_TIMEOUT without a test finishing (the run then fails, naming the test that
# was running), and the whole run has TVS_TEST_TIMEOUT at most (CI gives the job 90 minutes).
hang_timeout="${TVS_TEST_HANG_TIMEOUT:-20m}"
run_timeout="${TVS_TEST_TIMEOUT:-70m}"
timeout --signal=TERM --kill-after=60s "$run_timeout" \
  dotnet test tests/TVS.Tests/TVS.Tests.csproj -c Release --no-build -nologo \
  --blame-hang-timeout "$hang_timeout" --blame-hang-dump-type none \
  --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@"
rc=$?
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
  echo "the test run did not finish within $run_timeout; tests started last:"
  find "$results" -name 'Sequence_*.xml' -exec grep -o 'Name="[^"]*"' {} + 2>/dev/null | tail -n 8
fi
passed=0; failed=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi

# The independent verifiers' own tests, one count each: tools/tlog-verify (go test: tiles,
# make-tiles, tampering) and tools/voter-js/receipt.mjs (node --test, which also runs the Go tool
# on its receipts). Skipped without the program on a developer's machine, failed under CI=true.
tool_test() { # name dir needed-path command...
  local name=$1 dir=$2 need=$3; shift 3
  if [[ ! -e "$need" ]] && ! command -v "$need" >/dev/null 2>&1; then
    if [[ "${CI:-}" == "true" ]]; then echo "$name: $need missing"; failed=$((failed + 1)); else echo "$name: skipped ($need missing)"; fi
    return
  fi
  if (cd "$dir" && "$@") >"$results/$name.log" 2>&1; then passed=$((passed + 1)); else echo "$name failed: $results/$name.log"; failed=$((failed + 1)); fi
}
if command -v go >/dev/null 2>&1; then
  tool_test tlog-verify tools/tlog-verify /usr/share/gocode/src/golang.org/x/mod \
    env GOPROXY=off GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local GOSUMDB=off go test .
else
  tool_test tlog-verify tools/tlog-verify go true
fi
tool_test voter-receipt tools/voter-js node node --test receipt.test.mjs

echo "$passed passed, $failed failed"
[[ $rc -eq 0 && $failed -eq 0 ]]
