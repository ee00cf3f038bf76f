import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { activeWasmTrainingKernels, initBackend, unregisterWasmTrainingKernels } from '../src/index.js';

describe('initBackend', () => {
  it('falls back to wasm with atkd kernels, saying why the native engines were skipped', async () => {
    const lines: string[] = [];
    const info = await initBackend({ env: {}, log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.forced).toBe(false);
    expect(info.reasons.map((r) => r.backend)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(info.reasons[0].skipped).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(info.kernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter']));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/using wasm, \d+ XNNPACK threads? .*skipped tfjs-node-gpu/);
    // idempotent: the same answer, no new log line
    const again = await initBackend({ env: {}, log: (l) => lines.push(l) });
    expect(again).toBe(info);
    expect(lines).toHaveLength(1);
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
    await expect(initBackend({ env: { ATKD_BACKEND: 'cuda' }, log: false })).rejects.toThrow(/ATKD_BACKEND='cuda'.*tfjs-node-gpu, tfjs-node, wasm, cpu/);
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
