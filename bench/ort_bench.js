// ONNX Runtime (CPU EP) timing for engine_compare.sh.
// Usage: node ort_bench.js MODEL.onnx RUNS WARMUP
// Prints one JSON line per (batch, seq): {"engine":"ort", ...}. Inputs follow
// bench_inputs.py exactly.
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '.work', 'node_modules', 'onnxruntime-node'));

const CONFIGS = [[1, 16], [8, 16], [1, 128], [8, 128], [1, 256], [8, 256]];

function tokenIds(batch, seq) {
  const ids = new BigInt64Array(batch * seq);
  for (let i = 0; i < batch; ++i) {
    ids[i * seq] = 101n;
    for (let j = 1; j < seq - 1; ++j) {
      ids[i * seq + j] = BigInt(1000 + ((j * 7919 + i * 104729 + seq * 13) % 29000));
    }
    ids[i * seq + seq - 1] = 102n;
  }
  return ids;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const [modelPath, runsArg, warmupArg] = process.argv.slice(2);
  const runs = Number(runsArg || 7);
  const warmup = Number(warmupArg || 2);
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  for (const [batch, seq] of CONFIGS) {
    const feeds = {
      input_ids: new ort.Tensor('int64', tokenIds(batch, seq), [batch, seq]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n),
                                     [batch, seq]),
    };
    let out;
    for (let i = 0; i < warmup; ++i) out = await session.run(feeds);
    const times = [];
    for (let i = 0; i < runs; ++i) {
      const t0 = process.hrtime.bigint();
      out = await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const emb = out[session.outputNames[0]].data;
    let checksum = 0;
    for (let k = 0; k < 8; ++k) checksum += emb[k];
    console.log(JSON.stringify({engine: 'ort', batch, seq, median_ms: median(times), runs,
                                checksum}));
  }
}

main().catch((e) => { console.error('ort_bench: ' + e.message); process.exit(1); });
