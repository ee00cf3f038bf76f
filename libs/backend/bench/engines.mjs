// `nx run backend:bench`: atkd's engines side by side with PyTorch in ONE run, same cores and threads.
// For each thread count (1 and 2): training and inference img/s at batch 64 of resnet8, resnet20,
// resnet8x4, wrn_16_2 and MobileNetV2 (@atkd/models; PyTorch: tools/models-torch-arch.py's zoo) on
// `torch` (@atkd/backend-torch), on `wasm` (atkd kernels) and on PyTorch; and the KD step of the
// authors' loop (teacher forward + student SGD step, paired adaptive temperature) for
// resnet56 -> resnet20 and resnet32x4 -> resnet8x4. Each engine runs in its own worker thread; each
// measurement of ours is followed at once by PyTorch's (the machine may be shared); ratios are per
// round, the median is reported.
// Options: --seconds S (per slice, default 2), --rounds R (default 1), --threads 1,2,
//   --models a,b, --kd t:s,t:s, --engines torch,wasm (also torch-unfused: batch norm composed as
//   TF.js does, ATKD_FUSED_BN=0; torch-s3: that and one shape() call per output, as in session 3),
//   --no-torch (no PyTorch), --json FILE.
import { Worker } from 'node:worker_threads';
import { cpus, loadavg } from 'node:os';
import { writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { PyTorchPeer } from './peer.mjs';
import { applyOmpWaitPolicy } from '@atkd/backend-torch';

// libgomp reads its wait policy from the process's environment when libtorch is first loaded, and a
// worker thread's process.env is its own copy: the policy goes into the real environment here,
// before the engine workers start (OMP_WAIT_POLICY or GOMP_SPINCOUNT given by the user wins). The
// heap policy (ATKD_TORCH_MALLOPT) is the process's too: it is fixed when the first worker loads the addon.
const ompPolicy = applyOmpWaitPolicy();

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const SECONDS = Number(opt('seconds', '2'));
const ROUNDS = Number(opt('rounds', '1'));
const THREADS = opt('threads', '1,2').split(',').map(Number);
const MODELS = opt('models', 'resnet8,resnet20,resnet8x4,wrn_16_2,MobileNetV2').split(',').filter(Boolean);
const KD = opt('kd', 'resnet56:resnet20,resnet32x4:resnet8x4').split(',').filter(Boolean).map((p) => p.split(':'));
const ENGINES = opt('engines', 'torch,wasm').split(',').filter(Boolean);
const BATCH = 64;
const log = (s) => process.stderr.write(s + '\n');
const median = (a) => { const s = a.filter((v) => typeof v === 'number').sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined; };
const fmt = (v) => (typeof v === 'number' ? v.toFixed(1) : '—');
const fx = (v) => (typeof v === 'number' ? v.toFixed(2) + 'x' : '—');

async function engineWorker(engine, threads) {
  const w = new Worker(join(here, 'engine-worker.mjs'), { workerData: { engine, threads } });
  const ready = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
  // one request at a time: each answer settles it, and its error listener goes with it
  const ask = (msg) => new Promise((res, rej) => {
    const fail = (e) => { w.off('message', done); rej(e); };
    const done = (m) => { w.off('error', fail); res(m); };
    w.once('message', done);
    w.once('error', fail);
    w.postMessage(msg);
  });
  return {
    ready,
    rate: async (req) => {
      const r = await ask({ ...req, seconds: SECONDS, batch: BATCH });
      if (r.error) throw new Error(`${engine} (${threads} threads): ${r.error}`);
      return r.rate;
    },
    close: async () => { w.postMessage({ type: 'close' }); await w.terminate(); },
  };
}

const torch = await PyTorchPeer.start(root, BATCH, args.includes('--no-torch'));
const peerPolicy = torch.policy;
if (torch.skipped) log(torch.skipped);
const loadStart = loadavg()[0];
log(`engines ${ENGINES.join(', ')} vs PyTorch ${torch.version ?? 'n/a'}; batch ${BATCH}; ${ROUNDS} round(s) of ${SECONDS}s slices; ` +
  `${cpus().length} cores, load average ${loadStart.toFixed(2)}; ${ompPolicy} for atkd's torch, ${peerPolicy} for PyTorch`);

const results = [];
const versions = {};
for (const threads of THREADS) {
  const workers = {};
  for (const e of ENGINES) {
    try {
      workers[e] = await engineWorker(e, threads);
      versions[e] = workers[e].ready.version ?? null;
      if (workers[e].ready.heap) versions.heap = workers[e].ready.heap;
      if (workers[e].ready.threads !== threads) log(`  (${e} got ${workers[e].ready.threads} threads: ${workers[e].ready.note ?? ''})`);
    } catch (err) {
      log(`  ${e} skipped at ${threads} threads: ${err.message}`);
    }
  }
  const jobs = [
    ...MODELS.flatMap((m) => ['train', 'infer'].map((mode) => ({ label: `${m} ${mode}`, req: { model: m, mode } }))),
    ...KD.map(([t, s]) => ({ label: `KD ${t} -> ${s}`, req: { mode: 'kd', teacher: t, student: s } })),
  ];
  for (const job of jobs) {
    const per = Object.fromEntries(ENGINES.map((e) => [e, []]));
    const py = [];
    const ratios = Object.fromEntries(ENGINES.map((e) => [e, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const e of ENGINES) if (workers[e]) per[e].push(await workers[e].rate(job.req));
      const p = await torch.request({ ...job.req, threads, seconds: SECONDS });
      py.push(p);
      for (const e of ENGINES) if (workers[e] && p !== undefined) ratios[e].push(per[e][r] / p);
      log(`  ${threads}T ${job.label} round ${r + 1}: ` + ENGINES.map((e) => `${e} ${fmt(per[e][r])}`).join(', ') +
        `, PyTorch ${fmt(p)} img/s (load ${loadavg()[0].toFixed(1)})`);
    }
    results.push({
      threads, job: job.label, mode: job.req.mode,
      rates: Object.fromEntries(ENGINES.map((e) => [e, median(per[e])])), pytorch: median(py),
      ratios: Object.fromEntries(ENGINES.map((e) => [e, median(ratios[e])])),
    });
  }
  for (const w of Object.values(workers)) await w.close();
}
torch.close();

console.log(`\natkd engines vs PyTorch ${torch.version ?? 'n/a'} — libtorch ${versions.torch ?? 'n/a'}; batch ${BATCH}; ${cpus().length} cores; ` +
  `${ompPolicy} (torch; heap: ${versions.heap ?? 'n/a'}), ${peerPolicy} (PyTorch); ` +
  `load average ${loadStart.toFixed(2)} -> ${loadavg()[0].toFixed(2)}; ${ROUNDS} round(s) of ${SECONDS}s; img/s (median), ratio = ours / PyTorch per round\n`);
console.log(`| threads | network / step | ${ENGINES.map((e) => `${e} img/s`).join(' | ')} | PyTorch img/s | ${ENGINES.map((e) => `${e} / PyTorch`).join(' | ')} |`);
console.log(`| --- | --- | ${ENGINES.map(() => '---').join(' | ')} | --- | ${ENGINES.map(() => '---').join(' | ')} |`);
for (const r of results) {
  console.log(`| ${r.threads} | ${r.job} | ${ENGINES.map((e) => fmt(r.rates[e])).join(' | ')} | ${fmt(r.pytorch)} | ${ENGINES.map((e) => fx(r.ratios[e])).join(' | ')} |`);
}
if (torch.skipped) console.log(`\n${torch.skipped}`);
const out = opt('json', null);
if (out !== null) {
  writeFileSync(out + '.tmp', JSON.stringify({ batch: BATCH, seconds: SECONDS, rounds: ROUNDS, pytorch: torch.version, versions, results }, null, 2) + '\n');
  renameSync(out + '.tmp', out);
}
