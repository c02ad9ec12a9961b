#!/usr/bin/env bash
# Starts the local S3-compatible server (s3rver 3.7.1, pinned in package-lock.json) in the
# background and waits until it accepts connections; prints its endpoint on stdout.
#   tools/s3-server/start.sh [--port N] [--dir DATA_DIR] [--pid-file FILE] [--log FILE]
# Credentials are s3rver's fixed ones (access key S3RVER, secret S3RVER): a throwaway dev server.
# AWSSDK.S3 4.x must talk to it with UseChunkEncoding = false (docs/ops/storage.md): s3rver stores
# aws-chunked framing verbatim otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port=4568
dir="$here/.data"
pid_file=""
log=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --pid-file) pid_file="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    *) echo "usage: $0 [--port N] [--dir DATA_DIR] [--pid-file FILE] [--log FILE]" >&2; exit 2 ;;
  esac
done
pid_file="${pid_file:-$dir.pid}"
log="${log:-$dir.log}"
endpoint="http://127.0.0.1:$port"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null && listening; then
  echo "$endpoint"
  exit 0
fi
if listening; then
  echo "port $port is taken by another program" >&2
  exit 1
fi
if [[ ! -x "$here/node_modules/.bin/s3rver" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
mkdir -p "$dir"
# setsid and closed stdio: the server must not hold the caller's terminal or pipes open (CI reads
# tests/run.sh's output to its end).
setsid node "$here/node_modules/.bin/s3rver" -d "$dir" -a 127.0.0.1 -p "$port" --silent --no-vhost-buckets \
  </dev/null >"$log" 2>&1 &
echo $! >"$pid_file"
for _ in $(seq 1 100); do
  if listening; then
    echo "$endpoint"
    exit 0
  fi
  if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "s3rver exited; log $log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "s3rver did not listen on $port within 10 s; log $log" >&2
exit 1
