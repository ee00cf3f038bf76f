// The TF.js KernelBackend `torch`: owns its tensors in libtorch through the addon. JavaScript keeps,
// per TF.js dataId, the addon's tensor id and a reference count; strings and complex numbers (which
// ATen kernels here never see) stay in JavaScript and run through the cpu fallback.
import {
  DataStorage, KernelBackend, engine, util,
  type BackendTimingInfo, type BackendValues, type DataId, type DataType, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { DTYPE_CODE, type Nid, type NativeDtype, type TorchNative } from './native.js';

interface TorchData {
  /** The addon's tensor id; 0 when the values are held in JavaScript (string / complex64). */
  id: Nid;
  dtype: DataType;
  refCount: number;
  /** Values of a tensor ATen does not hold. */
  values?: BackendValues;
}

/** Memory of the torch backend: TF.js's fields plus the addon's own count of native tensors. */
export interface TorchMemoryInfo {
  unreliable: boolean;
  reasons: string[];
  /** Tensors alive in the addon's table for this thread (what ATen holds for TF.js). */
  numNativeTensors: number;
}

export function isNativeDtype(dtype: DataType): dtype is NativeDtype {
  return dtype === 'float32' || dtype === 'int32' || dtype === 'bool';
}

function typed(values: BackendValues, dtype: NativeDtype): Float32Array | Int32Array | Uint8Array {
  const want = dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
  if (values instanceof want) return values;
  return want.from(values as ArrayLike<number>);
}

export class TorchBackend extends KernelBackend {
  readonly native: TorchNative;
  private readonly data: DataStorage<TorchData>;
  private nextDataId = 0;
  /** The addon's shape slots (see TorchNative.shapeBuffer); null with ATKD_TORCH_SHAPE_BUFFER=0 (one shape() call per output). */
  private readonly shapes: Float64Array | null;

  constructor(native: TorchNative) {
    super();
    this.native = native;
    this.data = new DataStorage<TorchData>(this, engine());
    this.shapes = process.env['ATKD_TORCH_SHAPE_BUFFER'] === '0' ? null : native.shapeBuffer();
  }

  private entry(values: BackendValues | null, shape: number[], dtype: DataType, refCount: number): TorchData {
    if (!isNativeDtype(dtype)) return { id: 0, dtype, refCount, values: values ?? [] };
    const v = values ?? new (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array)(util.sizeFromShape(shape));
    return { id: this.native.fromData(typed(v, dtype), shape, DTYPE_CODE[dtype]), dtype, refCount };
  }

  override write(values: BackendValues | null, shape: number[], dtype: DataType): DataId {
    const dataId = { id: this.nextDataId++ };
    this.data.set(dataId, this.entry(values, shape, dtype, 1));
    return dataId;
  }

  override move(dataId: DataId, values: BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.data.set(dataId, this.entry(values, shape, dtype, refCount));
  }

  override readSync(dataId: DataId): BackendValues {
    const d = this.data.get(dataId);
    if (d.id === 0) return d.values!;
    return this.native.read(d.id);
  }

  override read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override disposeData(dataId: DataId, force = false): boolean {
    if (this.data.has(dataId)) {
      const d = this.data.get(dataId);
      d.refCount--;
      if (!force && d.refCount > 0) return false;
      if (d.id !== 0) this.native.dispose(d.id);
      this.data.delete(dataId);
    }
    return true;
  }

  override refCount(dataId: DataId): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: DataId): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): TorchMemoryInfo {
    return {
      unreliable: true,
      reasons: ['ATen allocates outside the JavaScript heap; numNativeTensors counts the tensors the addon holds'],
      numNativeTensors: this.native.count(),
    };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override async time(f: () => void): Promise<BackendTimingInfo> {
    const start = util.now();
    f();
    return { kernelMs: util.now() - start };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    // Tensors still registered are released with the backend (TF.js calls this on removeBackend).
  }

  // ---- for kernels -------------------------------------------------------------------------

  /** The addon's id of a TF.js tensor of a native dtype (moved here first if another backend holds it). */
  nid(t: TensorInfo): Nid {
    const d = this.data.get(t.dataId);
    if (d.id === 0) throw new Error(`a ${d.dtype} tensor has no ATen counterpart`);
    return d.id;
  }

  /** Whether every tensor given is of a dtype ATen holds here. */
  holdsNatively(ts: readonly (TensorInfo | undefined | null)[]): boolean {
    return ts.every((t) => t == null || isNativeDtype(t.dtype));
  }

  /** Wraps a fresh addon tensor as a TF.js output (shape from ATen). */
  out(id: Nid, dtype: DataType): TensorInfo {
    const dataId = { id: this.nextDataId++ };
    this.data.set(dataId, { id, dtype, refCount: 1 });
    return { dataId, shape: this.shapeOf(id), dtype };
  }

  /** The shape of a fresh addon tensor: from its slot in the shared buffer, else one shape() call. */
  private shapeOf(id: Nid): number[] {
    const s = this.shapes;
    if (s !== null) {
      const at = (id % 64) * 8;
      const rank = s[at + 1];
      if (s[at] === id && rank >= 0) {
        const shape = new Array<number>(rank);
        for (let k = 0; k < rank; k++) shape[k] = s[at + 2 + k];
        return shape;
      }
    }
    return this.native.shape(id);
  }

}
