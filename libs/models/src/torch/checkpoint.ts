// Reading torch.save checkpoints (the zip format of torch >= 1.6) and extracting their state dict.
import { readFile } from 'node:fs/promises';
import { TorchCheckpointError } from './errors.js';
import { PLAIN_GLOBALS, PyCallable, PyDict, PyGlobal, PyObject, PyTuple, pyRepr, unpickle, type PyValue } from './pickle.js';
import { STORAGE_DTYPES, DTYPE_BYTES, TorchStorage, TorchTensorRef, type TorchTensor } from './tensor.js';
import { looksLikeZip, readZip, type ZipArchive } from './zip.js';

export interface ReadTorchOptions {
  /**
   * When true, any global outside the allow-list fails the whole read, even one outside the state dict
   * (say an argparse.Namespace of training arguments). When false (the default) such globals become inert
   * records and only fail the read if they sit where a tensor or the state dict should be. Nothing is
   * ever executed either way.
   */
  strict?: boolean;
}

export interface ReadStateDictOptions extends ReadTorchOptions {
  /**
   * Where the state dict sits in the checkpoint: a key (or key path) of the top-level dict. By default
   * the dict under the first of `state_dict`, `model`, `net` whose value is a dict (repeatedly, for
   * nested wrappers), else the top-level dict itself.
   */
  key?: string | string[];
  /** Strip a `module.` prefix (nn.DataParallel) when every key has it. Default true. */
  stripModulePrefix?: boolean;
}

/** A decoded checkpoint: the unpickled object with its tensors still unread. */
export interface TorchCheckpoint {
  readonly file: string;
  /** The archive's top folder, e.g. `archive` (torch 2.x) or the file's base name (torch 1.x). */
  readonly archiveName: string;
  /** Contents of `<archive>/version` (the serialization format version, 3 for torch 1.13), if present. */
  readonly version: number | undefined;
  /** From `<archive>/byteorder` (written by torch >= 2.1); little-endian when absent. */
  readonly littleEndian: boolean;
  /** The unpickled object; tensors are TorchTensorRef values, read on demand. */
  readonly root: PyValue;
}

const WRAPPER_KEYS = ['state_dict', 'model', 'net'];

/** The first record of torch's legacy (pre-1.6) pickle stream: protocol 2, then LONG1 of the magic number. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function notAZip(bytes: Uint8Array, file: string): TorchCheckpointError | undefined {
  if (bytes.length === 0) return new TorchCheckpointError(file, 'file is empty');
  if (looksLikeZip(bytes)) return undefined;
  if (LEGACY_MAGIC.every((b, i) => bytes[i] === b)) {
    return new TorchCheckpointError(
      file,
      'legacy torch.save format (torch < 1.6, or _use_new_zipfile_serialization=False) is not supported; ' +
        're-save it with torch >= 1.6: torch.save(torch.load(old), new)',
    );
  }
  const ustar = new TextDecoder('latin1').decode(bytes.subarray(257, 262));
  if (ustar === 'ustar') {
    return new TorchCheckpointError(file, 'legacy tar-based torch.save format (torch < 0.4) is not supported; re-save it with torch >= 1.6');
  }
  if (bytes[0] === 0x80) {
    return new TorchCheckpointError(file, 'a bare pickle, not a torch.save zip archive (torch >= 1.6); save it with torch.save');
  }
  return undefined;
}

function findDataPickle(zip: ZipArchive, file: string): string {
  const names = [...zip.entries.keys()];
  const top = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (top.length === 0) {
    const any = names.find((n) => n.endsWith('data.pkl'));
    throw new TorchCheckpointError(
      file,
      any
        ? `zip archive has ${any} but no <archive>/data.pkl record; not a torch.save checkpoint`
        : `zip archive has no data.pkl record; not a torch.save checkpoint (records: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})`,
    );
  }
  if (top.length > 1) throw new TorchCheckpointError(file, `zip archive has several data.pkl records: ${top.join(', ')}`);
  const archiveName = top[0].slice(0, -'/data.pkl'.length);
  if (zip.entries.has(`${archiveName}/constants.pkl`) || names.some((n) => n.startsWith(`${archiveName}/code/`))) {
    throw new TorchCheckpointError(
      file,
      'a TorchScript archive (torch.jit.save) is not supported; save the weights with torch.save(model.state_dict(), path)',
    );
  }
  return archiveName;
}

function tupleItems(v: PyValue): PyValue[] | undefined {
  return v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
}

function intList(v: PyValue): number[] | undefined {
  const items = tupleItems(v);
  if (!items || !items.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) return undefined;
  return items as number[];
}

/**
 * Unpickles a torch.save checkpoint (zip format) without reading any tensor data yet.
 * @throws TorchCheckpointError naming `file` for anything that is not a readable torch >= 1.6 checkpoint.
 */
export function readTorchCheckpoint(bytes: Uint8Array, file = '<bytes>', options: ReadTorchOptions = {}): TorchCheckpoint {
  const early = notAZip(bytes, file);
  if (early) throw early;
  const zip = readZip(bytes, file);
  const archiveName = findDataPickle(zip, file);
  const text = (name: string): string | undefined =>
    zip.entries.has(name) ? new TextDecoder('latin1').decode(zip.read(name)).trim() : undefined;

  const versionText = text(`${archiveName}/version`) ?? text(`${archiveName}/.data/version`);
  let version: number | undefined;
  if (versionText !== undefined) {
    if (!/^\d+$/.test(versionText)) {
      throw new TorchCheckpointError(file, `${archiveName}/version holds ${JSON.stringify(versionText.slice(0, 20))}, not a number`);
    }
    version = Number(versionText);
  }
  const byteorder = text(`${archiveName}/byteorder`);
  if (byteorder !== undefined && byteorder !== 'little' && byteorder !== 'big') {
    throw new TorchCheckpointError(file, `${archiveName}/byteorder holds ${JSON.stringify(byteorder.slice(0, 20))}, expected little or big`);
  }
  const littleEndian = byteorder !== 'big';

  const part = `${archiveName}/data.pkl`;
  const storages = new Map<string, TorchStorage>();
  // Errors thrown inside the pickle VM's callbacks get the file, the part and the opcode position added.
  const fail = (message: string): never => {
    throw new Error(message);
  };

  const persistentLoad = (pid: PyValue): PyValue => {
    const items = tupleItems(pid);
    if (!items || items[0] !== 'storage' || items.length !== 5) return fail(`unsupported persistent id ${pyRepr(pid)}`);
    const [, type, key, location, numel] = items;
    const typeName = type instanceof PyCallable && type.module === 'torch' ? type.name : undefined;
    const dtype = typeName !== undefined && Object.hasOwn(STORAGE_DTYPES, typeName) ? STORAGE_DTYPES[typeName] : undefined;
    if (dtype === undefined) return fail(`unsupported storage type ${pyRepr(type)}`);
    if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
      return fail(`bad storage id ${pyRepr(pid)}`);
    }
    const id = `${key}:${dtype}`;
    let storage = storages.get(id);
    if (!storage) {
      const record = `${archiveName}/data/${key}`;
      if (!zip.entries.has(record)) fail(`storage ${key} has no record ${record} in the archive`);
      storage = new TorchStorage(key, dtype, numel, typeof location === 'string' ? location : String(location), () => {
        const data = zip.read(record);
        const needBytes = numel * DTYPE_BYTES[dtype];
        if (data.length < needBytes) {
          throw new TorchCheckpointError(file, `storage record ${record} has ${data.length} bytes, ${numel} ${dtype} elements need ${needBytes}`);
        }
        return data;
      });
      storages.set(id, storage);
    }
    return storage;
  };

  const rebuildTensor = (args: PyValue[]): PyValue => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorage)) return fail(`first argument is ${pyRepr(storage)}, not a storage`);
    const shape = intList(size);
    const strides = intList(stride);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || !shape || !strides || shape.length !== strides.length) {
      return fail(`bad tensor geometry (offset ${pyRepr(offset)}, size ${pyRepr(size)}, stride ${pyRepr(stride)})`);
    }
    return new TorchTensorRef(storage, offset, shape, strides);
  };
  const asTensor = (v: PyValue): TorchTensorRef =>
    v instanceof TorchTensorRef ? v : fail(`expected a tensor, got ${pyRepr(v)}`);

  const allowed: Record<string, (args: PyValue[]) => PyValue> = {
    ...PLAIN_GLOBALS,
    'torch._utils._rebuild_tensor': rebuildTensor,
    'torch._utils._rebuild_tensor_v2': rebuildTensor,
    'torch._utils._rebuild_parameter': (args) => asTensor(args[0]),
    'torch._utils._rebuild_parameter_with_state': (args) => asTensor(args[0]),
    'torch._tensor._rebuild_from_type_v2': (args) => {
      const [func, , inner] = args;
      if (!(func instanceof PyCallable)) return fail(`cannot call ${pyRepr(func)}`);
      return asTensor(func.call(tupleItems(inner) ?? fail('bad arguments')));
    },
    'torch.Tensor': () => fail('constructing torch.Tensor directly is not supported'),
    'torch.nn.parameter.Parameter': () => fail('constructing torch.nn.Parameter directly is not supported'),
    'torch.device': (args) => args.map((a) => String(a)).join(':'),
    'torch.Size': (args) => new PyTuple(tupleItems(args[0] ?? []) ?? []),
  };
  for (const name of Object.keys(STORAGE_DTYPES)) {
    allowed[`torch.${name}`] = () => fail(`constructing torch.${name} directly is not supported`);
  }
  const callables = new Map<string, PyCallable>();
  const findGlobal = (module: string, name: string): PyCallable | undefined => {
    const qualified = `${module}.${name}`;
    if (!Object.hasOwn(allowed, qualified)) return undefined;
    const impl = allowed[qualified];
    let c = callables.get(qualified);
    if (!c) callables.set(qualified, (c = new PyCallable(module, name, impl)));
    return c;
  };

  const root = unpickle(zip.read(part), { file, part, findGlobal, persistentLoad, strict: options.strict ?? false });
  return { file, archiveName, version, littleEndian, root };
}

function describeValue(v: PyValue): string {
  if (v instanceof PyObject) {
    return (
      `an object made by ${v.global.qualifiedName}, which is not on the allow-list of a torch checkpoint ` +
      '(a whole pickled nn.Module or custom class cannot be read; save model.state_dict() instead)'
    );
  }
  if (v instanceof PyGlobal) return `the global ${v.qualifiedName}, which is not allowed in a checkpoint`;
  if (v instanceof PyDict) return `a dict with keys ${[...v.map.keys()].slice(0, 8).map((k) => pyRepr(k)).join(', ')}${v.map.size > 8 ? ', ...' : ''}`;
  return pyRepr(v);
}

/**
 * Finds the state dict in a decoded checkpoint and reads all its tensors.
 * @returns tensors keyed by name, in the checkpoint's order.
 */
export function extractStateDict(checkpoint: TorchCheckpoint, options: ReadStateDictOptions = {}): Map<string, TorchTensor> {
  const { file } = checkpoint;
  let current = checkpoint.root;
  const path: string[] = [];
  const where = (): string => `the checkpoint${path.map((p) => `[${JSON.stringify(p)}]`).join('')}`;
  if (options.key !== undefined) {
    for (const k of Array.isArray(options.key) ? options.key : [options.key]) {
      if (!(current instanceof PyDict)) throw new TorchCheckpointError(file, `${where()} is ${describeValue(current)}, so it has no key ${JSON.stringify(k)}`);
      if (!current.map.has(k)) throw new TorchCheckpointError(file, `${where()} has no key ${JSON.stringify(k)}; its keys: ${describeValue(current)}`);
      current = current.map.get(k) as PyValue;
      path.push(k);
    }
  } else {
    // A wrapper key wins over tensors beside it: RepDistiller saves best_acc as a tensor next to 'model'.
    while (current instanceof PyDict) {
      const dict: PyDict = current;
      const wrapper = WRAPPER_KEYS.find((k) => dict.map.has(k) && (dict.map.get(k) instanceof PyDict || dict.map.get(k) instanceof PyObject));
      if (wrapper === undefined) break;
      current = dict.map.get(wrapper) as PyValue;
      path.push(wrapper);
    }
  }
  if (!(current instanceof PyDict)) {
    throw new TorchCheckpointError(file, `${where()} is ${describeValue(current)}, not a state dict`);
  }
  const entries = [...current.map.entries()];
  if (entries.length === 0 || !entries.some(([, v]) => v instanceof TorchTensorRef)) {
    throw new TorchCheckpointError(
      file,
      `no state dict found: ${where()} is ${describeValue(current)} and holds no tensors` +
        (options.key === undefined ? ` (looked for a dict of tensors, bare or under ${WRAPPER_KEYS.join(' / ')})` : ''),
    );
  }
  for (const [k, v] of entries) {
    if (typeof k !== 'string') throw new TorchCheckpointError(file, `${where()} has a non-string key ${pyRepr(k)}`);
    if (!(v instanceof TorchTensorRef)) {
      throw new TorchCheckpointError(file, `${where()}[${JSON.stringify(k)}] is ${describeValue(v)}, not a tensor`);
    }
  }
  const strip = (options.stripModulePrefix ?? true) && entries.every(([k]) => (k as string).startsWith('module.'));
  const out = new Map<string, TorchTensor>();
  for (const [k, v] of entries) {
    const name = strip ? (k as string).slice('module.'.length) : (k as string);
    if (out.has(name)) throw new TorchCheckpointError(file, `two tensors are named ${name} after stripping module.`);
    out.set(name, (v as TorchTensorRef).materialise(name, file, checkpoint.littleEndian));
  }
  return out;
}

/**
 * Reads the state dict of a torch.save checkpoint (zip format, torch >= 1.6) held in memory.
 *
 * The state dict is the dict under `state_dict`, `model` or `net` (the first of these keys whose value
 * is a dict, repeatedly for nested wrappers), else the top-level dict, or the one at `options.key`. Other top-level entries
 * (epoch, best accuracy, optimizer state, ...) are ignored. When every key starts with `module.`
 * (nn.DataParallel), that prefix is stripped. Every value of the state dict must be a tensor.
 *
 * @param file the name used in error messages.
 * @returns tensors keyed by name, in the checkpoint's order; see TorchTensor for the dtype mapping
 *   (floats are delivered as Float32Array).
 * @throws TorchCheckpointError naming `file` and what is wrong.
 */
export function readTorchStateDict(bytes: Uint8Array, file = '<bytes>', options: ReadStateDictOptions = {}): Map<string, TorchTensor> {
  return extractStateDict(readTorchCheckpoint(bytes, file, options), options);
}

/** Reads the state dict of a torch.save checkpoint file; see readTorchStateDict. */
export async function readTorchCheckpointFile(path: string, options: ReadStateDictOptions = {}): Promise<Map<string, TorchTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TorchCheckpointError(path, `cannot read the file: ${(e as Error).message}`);
  }
  return readTorchStateDict(bytes, path, options);
}
