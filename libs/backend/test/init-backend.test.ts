import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { torchUnavailable } from '@atkd/backend-torch';
import { activeWasmTrainingKernels, initBackend, unregisterWasmTrainingKernels } from '../src/index.js';

describe('initBackend', () => {
  it('picks torch when libtorch is there (else wasm with atkd kernels), saying why the native engines were skipped', async () => {
    const lines: string[] = [];
    const info = await initBackend({ env: {}, log: (l) => lines.push(l) });
    expect(info.forced).toBe(false);
    expect(info.reasons[0].skipped).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(lines).toHaveLength(1);
    if (torchUnavailable() === null) {
      expect(info.name).toBe('torch');
      expect(tf.getBackend()).toBe('torch');
      expect(info.reasons.map((r) => r.backend)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
      expect(info.version).toMatch(/^\d+\.\d+/);
      expect(info.threads).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toMatch(/using torch \(libtorch \d+\.\d+\S*, \d+ ATen threads?\) .*skipped tfjs-node-gpu/);
    } else {
      expect(info.name).toBe('wasm');
      expect(info.reasons.map((r) => r.backend)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'torch']);
      expect(info.reasons[2].skipped).toMatch(/libtorch|addon/);
      expect(lines[0]).toMatch(/using wasm, \d+ XNNPACK threads? .*skipped tfjs-node-gpu/);
    }
    // idempotent: the same answer, no new log line
    const again = await initBackend({ env: {}, log: (l) => lines.push(l) });
    expect(again).toBe(info);
    expect(lines).toHaveLength(1);
  });

  it('forced to wasm, it registers atkd kernels and says how many XNNPACK threads', async () => {
    const lines: string[] = [];
    const info = await initBackend({ env: { ATKD_BACKEND: 'wasm' }, log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.version).toBeNull();
    expect(info.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']));
    expect(lines[0]).toMatch(/using wasm, \d+ XNNPACK threads? \(forced by ATKD_BACKEND\)/);
  });

  it.skipIf(torchUnavailable() !== null)('ATKD_BACKEND=torch forces torch; the threads setting reaches ATen', async () => {
    const info = await initBackend({ env: { ATKD_BACKEND: 'torch', ATKD_THREADS: '2' }, log: false });
    expect(info.name).toBe('torch');
    expect(info.threads).toBe(2);
    const one = await initBackend({ prefer: 'torch', threads: 1, env: { ATKD_THREADS: '2' }, log: false });
    expect(one.threads).toBe(1);
    await expect(initBackend({ prefer: 'torch', env: { ATKD_THREADS: 'many' }, log: false })).rejects.toThrow(/ATKD_THREADS=many/);
  });

  it('ATKD_BACKEND and prefer force a backend', async () => {
    const cpu = await initBackend({ env: { ATKD_BACKEND: 'cpu' }, log: false });
    expect(cpu.name).toBe('cpu');
    expect(cpu.forced).toBe(true);
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await initBackend({ prefer: 'wasm', env: { ATKD_BACKEND: 'cpu' }, log: false });
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails clearly, naming the forced backend, when it cannot be used', async () => {
    await expect(initBackend({ prefer: 'tfjs-node', log: false })).rejects.toThrow(/forced backend 'tfjs-node' \(prefer\).*not installed/);
    await expect(initBackend({ env: { ATKD_BACKEND: 'tfjs-node-gpu' }, log: false })).rejects.toThrow(/'tfjs-node-gpu' \(ATKD_BACKEND\)/);
    await expect(initBackend({ env: { ATKD_BACKEND: 'cuda' }, log: false })).rejects.toThrow(/ATKD_BACKEND='cuda'.*tfjs-node-gpu, tfjs-node, torch, wasm, cpu/);
  });

  it('can run wasm without atkd kernels (the "before" configuration) and restore them', async () => {
    unregisterWasmTrainingKernels();
    expect(activeWasmTrainingKernels()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined(); // the wasm backend's own one
    const plain = await initBackend({ prefer: 'wasm', wasmKernels: false, log: false });
    expect(plain.kernels).toEqual([]);
    // the restored wasm kernel is set up and usable
    const dx = tf.tidy(() => tf.conv2dTranspose(tf.ones([1, 2, 2, 3]) as tf.Tensor4D, tf.ones([3, 3, 2, 3]) as tf.Tensor4D, [1, 4, 4, 2], 2, 'same'));
    expect(dx.shape).toEqual([1, 4, 4, 2]);
    expect(dx.dataSync()[0]).toBe(3);
    dx.dispose();
    const full = await initBackend({ prefer: 'wasm', log: false });
    expect(full.kernels.length).toBeGreaterThan(0);
    expect(activeWasmTrainingKernels()).toEqual(full.kernels);
  });
});
