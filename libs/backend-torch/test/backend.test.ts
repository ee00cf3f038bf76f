// The torch KernelBackend itself: storage of every native dtype, reference counts, memory() and the
// addon's own count of native tensors, time(), moving tensors in from cpu, the single cpu-fallback
// warning, and errors that name the kernel instead of crashing the process.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TorchBackend, fallbackKernelsUsed, nativeTensorCount, resetFallbackKernelsUsed, setFallbackWarning, torchFallbackKernelNames,
  torchKernelNames, torchThreads, torchVersion, setTorchThreads, applyOmpWaitPolicy, DEFAULT_GOMP_SPINCOUNT, torchHeapPolicy,
  registerTorchBackend, torchFusedGradients,
} from '../src/index.js';
import { SKIP } from './helpers.js';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

describe.skipIf(SKIP !== null)('the torch backend', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('torch')).toBe(true);
  });

  it('is registered by importing @atkd/backend-torch, with libtorch version and threads', () => {
    expect(tf.engine().backendNames()).toContain('torch');
    expect(tf.backend()).toBeInstanceOf(TorchBackend);
    expect(torchVersion()).toMatch(/^\d+\.\d+/);
    expect(setTorchThreads(1)).toBe(1);
    expect(torchThreads()).toBe(1);
    expect(torchKernelNames()).toContain('Conv2DBackpropFilter');
    expect(torchFallbackKernelNames()).not.toContain('Conv2D');
    expect(torchFallbackKernelNames().length).toBeGreaterThan(0);
  });

  it('registers its fused gradients again when another registration replaced them (TF.js importing after it)', () => {
    const fused = ['FusedBatchNorm', 'AtkdBatchNormTrain', 'Relu', 'Relu6', 'Mean'];
    expect(torchFusedGradients()).toEqual(expect.arrayContaining(fused));
    const ours = tf.getGradient('Relu');
    // what @tensorflow/tfjs does when it is first imported after @atkd/backend-torch: its own composed gradient
    tf.registerGradient({ kernelName: 'Relu', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(x)) }) });
    expect(tf.getGradient('Relu')).not.toBe(ours);
    expect(torchFusedGradients()).not.toContain('Relu');
    expect(registerTorchBackend()).toBe(true);
    expect(torchFusedGradients()).toEqual(expect.arrayContaining(fused));
    expect(tf.getGradient('Relu')).not.toBe(ours); // a new wrapper, deferring to the replacement off torch
    const x = tf.tensor1d([-1, 2, 0.5]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 1, 1]);
    tf.dispose([x, g]);
  });

  it('OpenMP threads spin briefly (GOMP_SPINCOUNT=10000) unless the user chose a policy, set before libtorch loads', () => {
    // in this process the addon is loaded: the policy is in the environment libgomp read
    expect(process.env['OMP_WAIT_POLICY'] !== undefined || process.env['GOMP_SPINCOUNT'] !== undefined).toBe(true);
    expect(DEFAULT_GOMP_SPINCOUNT).toBe('10000');
    const unset: Record<string, string | undefined> = {};
    expect(applyOmpWaitPolicy(unset)).toBe('GOMP_SPINCOUNT=10000');
    expect(unset).toEqual({ GOMP_SPINCOUNT: '10000' });
    const passive: Record<string, string | undefined> = { OMP_WAIT_POLICY: 'PASSIVE' };
    expect(applyOmpWaitPolicy(passive)).toBe('OMP_WAIT_POLICY=PASSIVE');
    expect(passive).toEqual({ OMP_WAIT_POLICY: 'PASSIVE' });
    const spin: Record<string, string | undefined> = { GOMP_SPINCOUNT: '300000' };
    expect(applyOmpWaitPolicy(spin)).toBe('GOMP_SPINCOUNT=300000');
    expect(spin).toEqual({ GOMP_SPINCOUNT: '300000' });
  });

  it('keeps freed tensor memory in the process (malloc thresholds) unless ATKD_TORCH_MALLOPT=0 or GLIBC_TUNABLES say otherwise', () => {
    if (process.env['ATKD_TORCH_MALLOPT'] === '0') expect(torchHeapPolicy()).toMatch(/^glibc defaults/);
    else if (!(process.env['GLIBC_TUNABLES'] ?? '').includes('glibc.malloc.')) expect(torchHeapPolicy()).toMatch(/mmap threshold 32 MiB, trim threshold 256 MiB/);
    const policyIn = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { torchHeapPolicy } from '@atkd/backend-torch'; console.log(torchHeapPolicy());`],
        { env: { ...process.env, ...env }, encoding: 'utf8', cwd: packageRoot });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    expect(policyIn({ ATKD_TORCH_MALLOPT: '1', GLIBC_TUNABLES: '' })).toMatch(/^tensor memory kept for reuse/);
    expect(policyIn({ ATKD_TORCH_MALLOPT: '0' })).toBe('glibc defaults (ATKD_TORCH_MALLOPT=0)');
    expect(policyIn({ ATKD_TORCH_MALLOPT: '1', GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1048576' })).toBe('GLIBC_TUNABLES (the user\'s)');
  });

  it('output shapes come back through the buffer shared with the addon, also past its 64 slots and for rank > 6', () => {
    const xs = Array.from({ length: 70 }, (_, i) => tf.zeros([i + 1, 2]));
    const ys = xs.map((x) => tf.add(x, 1));
    ys.forEach((y, i) => expect(y.shape).toEqual([i + 1, 2]));
    const big = tf.reshape(tf.ones([128]), [2, 2, 2, 2, 2, 2, 2]);
    const r = tf.add(big, 1);
    expect(r.shape).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(Array.from(r.dataSync())).toEqual(new Array(128).fill(2));
    tf.dispose([...xs, ...ys, big, r]);
  });

  it('writes and reads float32, int32 and bool, sync and async', async () => {
    const f = tf.tensor([[1.5, -2], [3, 4.25]]);
    const i = tf.tensor([1, -7, 2 ** 30], [3], 'int32');
    const b = tf.tensor([true, false, true], [3], 'bool');
    expect(Array.from(f.dataSync())).toEqual([1.5, -2, 3, 4.25]);
    expect(f.dataSync()).toBeInstanceOf(Float32Array);
    expect(Array.from(await i.data())).toEqual([1, -7, 2 ** 30]);
    expect(i.dataSync()).toBeInstanceOf(Int32Array);
    expect(Array.from(b.dataSync())).toEqual([1, 0, 1]);
    expect(b.dataSync()).toBeInstanceOf(Uint8Array);
    expect(tf.scalar(3).arraySync()).toBe(3);
    expect(tf.zeros([0, 3]).dataSync().length).toBe(0);
    tf.dispose([f, i, b]);
  });

  it('keeps strings in JavaScript (kernels on them run on cpu)', () => {
    const s = tf.tensor(['a', 'bc']);
    expect(s.dataSync()).toEqual(['a', 'bc']);
    const r = tf.reshape(s, [2, 1]);
    expect(r.arraySync()).toEqual([['a'], ['bc']]);
    tf.dispose([s, r]);
  });

  it('counts references: a clone shares the data until both are disposed', () => {
    const be = tf.backend() as TorchBackend;
    const nativeBefore = nativeTensorCount();
    const a = tf.tensor([1, 2, 3]);
    const c = tf.clone(a);
    expect(be.refCount(a.dataId)).toBe(2);
    expect(nativeTensorCount()).toBe(nativeBefore + 1);
    a.dispose();
    expect(be.refCount(c.dataId)).toBe(1);
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect(be.refCount(c.dataId)).toBe(0);
    expect(nativeTensorCount()).toBe(nativeBefore);
  });

  it('memory(): no tensor outlives tidy, counted by TF.js and by the addon', () => {
    const numTensors = tf.memory().numTensors;
    const numNative = nativeTensorCount();
    const ids = tf.engine().backend.numDataIds();
    for (let k = 0; k < 20; k++) {
      tf.tidy(() => tf.relu(tf.conv2d(tf.ones([2, 5, 5, 3]) as tf.Tensor4D, tf.ones([3, 3, 3, 4]) as tf.Tensor4D, 2, 'same')).sum()).dispose();
    }
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(nativeTensorCount()).toBe(numNative);
    expect(tf.engine().backend.numDataIds()).toBe(ids);
    const m = tf.memory() as tf.MemoryInfo & { numNativeTensors?: number };
    expect(m.numNativeTensors).toBe(numNative);
  });

  it('time() measures a function', async () => {
    const t = await tf.time(() => tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]))));
    expect(typeof t.kernelMs).toBe('number');
    expect(t.wallMs).toBeGreaterThanOrEqual(0);
  });

  it('moves a tensor made on cpu when torch first uses it', () => {
    tf.setBackend('cpu');
    const a = tf.tensor([1, 2, 3, 4], [2, 2]);
    tf.setBackend('torch');
    const y = tf.matMul(a, a);
    expect(Array.from(y.dataSync())).toEqual([7, 10, 15, 22]);
    tf.dispose([a, y]);
  });

  it('runs a kernel it lacks on cpu, after one warning naming it', () => {
    resetFallbackKernelsUsed();
    const lines: string[] = [];
    setFallbackWarning((l) => lines.push(l));
    expect(torchFallbackKernelNames()).toContain('TopK');
    const x = tf.tensor([3, 1, 4, 1, 5, 9, 2, 6]);
    for (let k = 0; k < 3; k++) {
      const { values, indices } = tf.topk(x, 3);
      expect(Array.from(values.dataSync())).toEqual([9, 6, 5]);
      expect(Array.from(indices.dataSync())).toEqual([5, 7, 4]);
      tf.dispose([values, indices]);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('TopK');
    expect(fallbackKernelsUsed()).toEqual(['TopK']);
    x.dispose();
    setFallbackWarning((l) => process.stderr.write(l + '\n'));
    resetFallbackKernelsUsed();
  });

  it('a bad input is a JavaScript error naming the kernel, never a crash', () => {
    const before = tf.memory().numTensors;
    const nativeBefore = nativeTensorCount();
    tf.tidy(() => {
      const x = tf.ones([1, 4, 4, 3]) as tf.Tensor4D;
      const f = tf.ones([3, 3, 2, 4]) as tf.Tensor4D; // 2 input channels, x has 3
      expect(() => tf.engine().runKernel('Conv2D', { x, filter: f }, { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' }))
        .toThrow(/torch kernel Conv2D: .*channels/);
      const xi = tf.ones([1, 4, 4, 3], 'int32');
      const f3 = tf.ones([3, 3, 3, 4]);
      expect(() => tf.engine().runKernel('Conv2D', { x: xi, filter: f3 }, { strides: 1, pad: 'same', dilations: 1, dataFormat: 'NHWC' }))
        .toThrow(/torch kernel Conv2D: .*float32/);
      const a = tf.ones([2, 3]);
      const b = tf.ones([4, 5]);
      expect(() => tf.engine().runKernel('BatchMatMul', { a: tf.reshape(a, [1, 2, 3]), b: tf.reshape(b, [1, 4, 5]) }, { transposeA: false, transposeB: false }))
        .toThrow(/torch kernel BatchMatMul: inner dimensions/);
      expect(() => tf.engine().runKernel('Add', { a, b }, {})).toThrow(/torch kernel Add: /);
      expect(() => tf.engine().runKernel('GatherV2', { x: a, indices: tf.tensor([5], [1], 'int32') }, { axis: 0, batchDims: 0 }))
        .toThrow(/torch kernel GatherV2: the index value 5 is not in \[0, 1\]/);
      const native = (tf.backend() as TorchBackend).native;
      expect(() => native.fromData(new Float32Array(3), [2, 2], 0)).toThrow(/bytes/);
      expect(() => native.binary('Add', 123456789, 1)).toThrow(/unknown tensor id/);
      expect(() => native.fill([2], 1, 9)).toThrow(/dtype/);
      expect(() => native.conv2d(native.fill([2], 1, 0), 0, 0, [], false)).toThrow(/tensor id|8 integers|rank/);
      // the process is alive and the backend still works
      expect(Array.from(tf.add(tf.scalar(1), tf.scalar(2)).dataSync())).toEqual([3]);
    });
    expect(tf.memory().numTensors).toBe(before);
    // the one native tensor the raw fill above made has no TF.js owner
    expect(nativeTensorCount()).toBe(nativeBefore + 1);
  });
});
