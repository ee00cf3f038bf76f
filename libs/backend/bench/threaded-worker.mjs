// One wasm instance with N XNNPACK threads (its own worker thread, since the count is fixed per
// thread once wasm initializes): measures resnet training / inference img/s on request.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '@atkd/backend';
import { cifarResNet, makeTrainStep } from './resnet.mjs';

const info = await initBackend({ prefer: 'wasm', log: false, wasmThreads: workerData.threads });
const nets = new Map();
parentPort.on('message', ({ type, depth, mode, seconds, batch }) => {
  if (type === 'close') {
    for (const n of nets.values()) { n.s.dispose(); n.model.dispose(); }
    parentPort.close();
    return;
  }
  let n = nets.get(depth);
  if (n === undefined) {
    const model = cifarResNet(depth);
    n = { model, s: makeTrainStep(model, batch) };
    n.s.step(); n.s.step(); n.s.infer();
    nets.set(depth, n);
  }
  const fn = mode === 'train' ? () => n.s.step() : () => n.s.infer();
  let calls = 0;
  const t0 = performance.now();
  for (;;) {
    fn();
    calls++;
    const dt = (performance.now() - t0) / 1000;
    if (dt >= seconds && calls >= 2) { parentPort.postMessage({ rate: (calls * batch) / dt }); return; }
  }
});
parentPort.postMessage({ ready: true, threads: info.threads, note: info.threadsNote });
