// The PyTorch peer of the benchmarks (tools/backend-torch-bench.py --serve): one persistent
// /usr/bin/python3 process answering measurement requests line by line, so that its slices
// interleave with ours on a shared machine.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export class PyTorchPeer {
  /** Starts the peer; `skipped` says why when it cannot run (no python3, no torch, --no-torch). */
  static async start(root, batch, disabled = false) {
    const script = join(root, 'tools', 'backend-torch-bench.py');
    // PyTorch keeps its own OpenMP default (GOMP's spinning) whatever wait policy atkd's torch engine
    // set for itself (@atkd/backend-torch's applyOmpWaitPolicy: OMP_WAIT_POLICY or GOMP_SPINCOUNT);
    // ATKD_PEER_OMP_WAIT_POLICY / ATKD_PEER_GOMP_SPINCOUNT set one for it.
    const env = { ...process.env };
    delete env['OMP_WAIT_POLICY'];
    delete env['GOMP_SPINCOUNT'];
    const set = [];
    for (const k of ['OMP_WAIT_POLICY', 'GOMP_SPINCOUNT']) {
      const v = process.env[`ATKD_PEER_${k}`];
      if (v) {
        env[k] = v;
        set.push(`${k}=${v}`);
      }
    }
    const policy = set.join(' ') || 'GOMP default';
    if (disabled) return new PyTorchPeer(null, 'PyTorch side skipped: disabled by --no-torch', undefined, policy);
    const proc = spawn('/usr/bin/python3', [script, '--serve', '--batch', String(batch)], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stderr = '';
    proc.stderr.on('data', (d) => { stderr += d; });
    const it = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    const failed = new Promise((res) => proc.once('error', (e) => res({ error: e })));
    const first = await Promise.race([it.next(), failed]);
    if (first.error) return new PyTorchPeer(null, `PyTorch side skipped: cannot run /usr/bin/python3 (${first.error.message})`, undefined, policy);
    let msg = null;
    try { msg = JSON.parse(first.value ?? ''); } catch { /* reported below */ }
    if (!msg?.ready) {
      proc.kill();
      const why = msg?.error ?? (stderr.trim().split('\n').pop() || 'no answer');
      return new PyTorchPeer(null, `PyTorch side skipped: /usr/bin/python3 cannot import torch (install python3-torch): ${why}`, undefined, policy);
    }
    return new PyTorchPeer({ proc, it }, null, msg.torch, policy);
  }

  /** `policy`: the OpenMP wait policy the peer runs with ('GOMP default' unless ATKD_PEER_* set one). */
  constructor(p, skipped, version, policy) { this.p = p; this.skipped = skipped; this.version = version; this.policy = policy; }

  /** Sends one request ({depth|model, mode, threads, seconds, ...}); resolves to its img/s (undefined when skipped). */
  async request(req) {
    if (this.p === null) return undefined;
    this.p.proc.stdin.write(JSON.stringify(req) + '\n');
    const { value } = await this.p.it.next();
    const r = JSON.parse(value);
    if (r.error) throw new Error(`PyTorch peer: ${r.error}`);
    return r.rate;
  }

  /** The resnet rows of run.mjs: depth, mode, threads. */
  rate(depth, mode, threads, seconds) { return this.request({ depth, mode, threads, seconds }); }

  close() { this.p?.proc.stdin.end(); }
}
