// Kernel-level composition helpers: atkd's wasm kernels are built from other wasm kernels
// (XNNPACK-backed Conv2D / BatchMatMul, Transpose, Slice, Pad ...) called directly on
// TensorInfos, exactly like the wasm backend composes its own kernels. Intermediates are
// released through the backend (reference counted), so no engine-level tensor leaks.
import { getKernel } from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export class KernelCtx {
  private readonly temps: TensorInfo[] = [];
  constructor(readonly backend: KernelBackend) {}

  /** Runs wasm kernel `name`; the result is freed by `dispose()` unless `keep()` is called on it. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`@atkd/backend: wasm kernel '${name}' is not registered`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    const info = Array.isArray(out) ? out[0] : out;
    this.temps.push(info);
    return info;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Zero padding; `paddings` per axis [before, after] (all >= 0). */
  pad(x: TensorInfo, paddings: Array<[number, number]>): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (size.every((s, i) => s === x.shape[i]) && begin.every((b) => b === 0)) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  stridedSlice(x: TensorInfo, begin: number[], end: number[], strides: number[]): TensorInfo {
    if (strides.every((s) => s === 1)) {
      return this.slice(x, begin, end.map((e, i) => e - begin[i]));
    }
    return this.run('StridedSlice', { x }, {
      begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0,
    });
  }

  /** A new wasm tensor holding `values` (freed by `dispose()`). */
  fromArray(shape: number[], values: Float32Array): TensorInfo {
    const be = this.backend as unknown as WasmLike;
    const out = be.makeOutput(shape, 'float32');
    be.typedArrayFromHeap(out).set(values);
    this.temps.push(out);
    return out;
  }

  /** Reads a (small) tensor's values. */
  read(x: TensorInfo): Float32Array {
    return this.backend.readSync(x.dataId) as Float32Array;
  }

  /** Marks `info` as the kernel's result: it survives `dispose()`. */
  keep(info: TensorInfo): TensorInfo {
    const i = this.temps.lastIndexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    else this.backend.incRef(info.dataId); // an input returned unchanged: hand out a new reference
    return info;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a fresh context and frees every intermediate except the returned one. */
export function withCtx(backend: KernelBackend, body: (ctx: KernelCtx) => TensorInfo): TensorInfo {
  const ctx = new KernelCtx(backend);
  try {
    return ctx.keep(body(ctx));
  } finally {
    ctx.dispose();
  }
}
