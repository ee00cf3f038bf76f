// Torch storages and tensors as the checkpoint pickle describes them, and their materialisation into
// dense row-major typed arrays.
import { TorchCheckpointError } from './errors.js';
import { PyExternal } from './pickle.js';

/** Torch dtypes a checkpoint tensor may have. */
export type TorchDType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

interface TensorBase<D extends TorchDType, A> {
  /** The state-dict key (after any `module.` prefix was stripped). */
  readonly name: string;
  /** Size per dimension; `[]` for a 0-d (scalar) tensor. */
  readonly shape: number[];
  /** The dtype stored in the checkpoint. */
  readonly dtype: D;
  /** The values, dense and row-major (C order), whatever the strides were in the checkpoint. */
  readonly data: A;
}

/**
 * A tensor read from a checkpoint.
 *
 * Floating dtypes (float32, float64, float16, bfloat16) are all delivered as a Float32Array: float16 and
 * bfloat16 convert exactly; float64 rounds to the nearest float32 (as `tensor.float()` does). `dtype`
 * still says what the checkpoint held. int64 -> BigInt64Array, int32 -> Int32Array, int16 -> Int16Array,
 * int8 -> Int8Array, uint8 -> Uint8Array, bool -> Uint8Array of 0 / 1.
 */
export type TorchTensor =
  | TensorBase<'float32' | 'float64' | 'float16' | 'bfloat16', Float32Array>
  | TensorBase<'int64', BigInt64Array>
  | TensorBase<'int32', Int32Array>
  | TensorBase<'int16', Int16Array>
  | TensorBase<'int8', Int8Array>
  | TensorBase<'uint8' | 'bool', Uint8Array>;

/** The typed array type of any TorchTensor's data. */
export type TorchTensorData = TorchTensor['data'];

/** torch.<Name>Storage classes a checkpoint may name, and their dtypes. */
export const STORAGE_DTYPES: Readonly<Record<string, TorchDType>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<TorchDType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One storage of the checkpoint (`<archive>/data/<key>`); its bytes are read from the zip on first use. */
export class TorchStorage extends PyExternal {
  private cached: Uint8Array | undefined;

  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    /** Number of elements of `dtype`. */
    readonly numel: number,
    readonly location: string,
    private readonly load: () => Uint8Array,
  ) {
    super();
  }

  /** The raw bytes (numel * element size), in the checkpoint's byte order. */
  get bytes(): Uint8Array {
    this.cached ??= this.load();
    return this.cached;
  }
}

/** A tensor as the pickle describes it: a view (offset, shape, strides) of a storage. Not yet read. */
export class TorchTensorRef extends PyExternal {
  constructor(
    readonly storage: TorchStorage,
    /** Offset into the storage, in elements. */
    readonly offset: number,
    readonly shape: number[],
    /** Strides in elements. */
    readonly stride: number[],
  ) {
    super();
  }

  get dtype(): TorchDType {
    return this.storage.dtype;
  }

  /** Number of elements (1 for a 0-d tensor). */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /**
   * Reads the tensor's values into a dense row-major array (see TorchTensor for the dtype mapping).
   * @param littleEndian the checkpoint's byte order (`<archive>/byteorder`; little when absent).
   */
  materialise(name: string, file: string, littleEndian = true): TorchTensor {
    const { storage, offset, shape, stride } = this;
    const dtype = storage.dtype;
    const size = DTYPE_BYTES[dtype];
    const n = this.numel;
    // Highest storage element this view touches.
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
    if (n > 0 && (offset < 0 || last >= storage.numel || stride.some((s) => s < 0))) {
      throw new TorchCheckpointError(
        file,
        `tensor ${name}: view (offset ${offset}, shape [${shape}], stride [${stride}]) reaches past its storage ${storage.key} of ${storage.numel} elements`,
      );
    }
    const src = n > 0 ? storage.bytes : new Uint8Array(0);
    if (n > 0 && src.length < storage.numel * size) {
      throw new TorchCheckpointError(
        file,
        `storage ${storage.key} has ${src.length} bytes, but ${storage.numel} ${dtype} elements need ${storage.numel * size}`,
      );
    }
    // Dense copy in a fresh (aligned) buffer.
    const out = new Uint8Array(n * size);
    if (isContiguous(shape, stride)) {
      out.set(src.subarray(offset * size, (offset + n) * size));
    } else if (n > 0) {
      gather(src, out, size, offset, shape, stride);
    }
    if (size > 1 && littleEndian !== HOST_LITTLE_ENDIAN) {
      for (let i = 0; i < out.length; i += size) out.subarray(i, i + size).reverse();
    }
    const buffer = out.buffer;
    const shapeCopy = shape.slice();
    switch (dtype) {
      case 'float32':
        return { name, shape: shapeCopy, dtype, data: new Float32Array(buffer) };
      case 'float64':
        return { name, shape: shapeCopy, dtype, data: Float32Array.from(new Float64Array(buffer)) };
      case 'float16':
        return { name, shape: shapeCopy, dtype, data: halfToFloat(new Uint16Array(buffer)) };
      case 'bfloat16':
        return { name, shape: shapeCopy, dtype, data: bfloat16ToFloat(new Uint16Array(buffer)) };
      case 'int64':
        return { name, shape: shapeCopy, dtype, data: new BigInt64Array(buffer) };
      case 'int32':
        return { name, shape: shapeCopy, dtype, data: new Int32Array(buffer) };
      case 'int16':
        return { name, shape: shapeCopy, dtype, data: new Int16Array(buffer) };
      case 'int8':
        return { name, shape: shapeCopy, dtype, data: new Int8Array(buffer) };
      case 'uint8':
        return { name, shape: shapeCopy, dtype, data: out };
      case 'bool':
        return { name, shape: shapeCopy, dtype, data: out.map((b) => (b !== 0 ? 1 : 0)) };
    }
  }
}

type Words = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

function words(bytes: Uint8Array, size: number, length: number): Words {
  const { buffer, byteOffset } = bytes;
  if (size === 2) return new Uint16Array(buffer, byteOffset, length);
  if (size === 4) return new Uint32Array(buffer, byteOffset, length);
  if (size === 8) return new BigUint64Array(buffer, byteOffset, length);
  return new Uint8Array(buffer, byteOffset, length);
}

/** Copies a strided view into dense row-major order, element by element (raw bits, no conversion). */
function gather(src: Uint8Array, out: Uint8Array, size: number, offset: number, shape: number[], stride: number[]): void {
  // Whole-element copies when the source is aligned for the element size (the usual case: torch aligns
  // records to 64 bytes); byte copies otherwise.
  const aligned = src.byteOffset % size === 0;
  const from = aligned ? words(src, size, Math.floor(src.length / size)) : src;
  const to = aligned ? words(out, size, out.length / size) : out;
  const width = aligned ? 1 : size;
  const rank = shape.length;
  const n = out.length / size;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < n; i++) {
    if (aligned) to[i] = from[at];
    else out.set(src.subarray(at * width, at * width + width), i * width);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

/** True when strides are the row-major strides of shape (dimensions of size 1 may have any stride). */
function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** IEEE 754 half-precision bits to float32 (exact). */
export function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 0x1f) out[i] = frac === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1024 + frac) * 2 ** (exp - 25);
  }
  return out;
}

/** bfloat16 bits (the top half of a float32) to float32 (exact). */
export function bfloat16ToFloat(bits: Uint16Array): Float32Array {
  const wide = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) wide[i] = bits[i] << 16;
  return new Float32Array(wide.buffer);
}
