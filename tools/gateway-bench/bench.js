// Optional load tool of run.sh (TVS_BENCH_TOOL=autocannon; wrk and votes.lua are the measuring ones).
// Drives the TVS gateway with autocannon: every request is a real sealed vote (tvs dev votes),
// posted with its nullifier header; prints autocannon's summary and one JSON line of results.
'use strict';
const fs = require('node:fs');
const autocannon = require('autocannon');

const [url, election, votesFile, connections = '64', duration = '20', pipelining = '1'] = process.argv.slice(2);
if (!url || !election || !votesFile) {
  console.error('usage: node bench.js URL ELECTION VOTES.bin [connections] [seconds] [pipelining]');
  process.exit(2);
}

// votes.bin: per vote nullifier (32) ‖ body length (4, big-endian) ‖ body.
const data = fs.readFileSync(votesFile);
const requests = [];
for (let p = 0; p < data.length;) {
  const key = data.subarray(p, p + 32).toString('hex');
  const n = data.readInt32BE(p + 32);
  const body = data.subarray(p + 36, p + 36 + n);
  p += 36 + n;
  requests.push({
    method: 'POST',
    path: `/v1/elections/${election}/votes`,
    headers: { 'content-type': 'application/octet-stream', 'x-tvs-nullifier': key },
    body,
  });
}

const instance = autocannon({
  url,
  connections: Number(connections),
  pipelining: Number(pipelining),
  duration: Number(duration),
  requests,
  expectBody: undefined,
}, (err, result) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  const summary = {
    connections: result.connections,
    pipelining: result.pipelining,
    duration_s: result.duration,
    requests_total: result.requests.total,
    requests_per_s_mean: result.requests.average,
    status_2xx: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  };
  console.log('RESULT ' + JSON.stringify(summary));
});
autocannon.track(instance, { renderProgressBar: false });
