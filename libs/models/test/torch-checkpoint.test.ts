import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PyDict,
  PyObject,
  TorchCheckpointError,
  readTorchCheckpoint,
  readTorchCheckpointFile,
  readTorchStateDict,
  type TorchTensor,
} from '../src/torch/index.js';
import { OP, buildZip, bytes, errorOf, f32, torchPickle } from './torch-helpers.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'torch');

interface ExpectedTensor {
  name: string;
  shape: number[];
  dtype: string;
  values: (number | string)[];
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  files: Record<string, { tensors: ExpectedTensor[]; epoch?: number }>;
};

function expectValues(t: TorchTensor, e: ExpectedTensor): void {
  expect(t.name).toBe(e.name);
  expect(t.shape).toEqual(e.shape);
  expect(t.dtype).toBe(e.dtype);
  expect(t.data.length).toBe(e.values.length);
  if (t.dtype === 'int64') {
    expect([...t.data].map(String)).toEqual(e.values);
    return;
  }
  if (t.data instanceof Float32Array) {
    expect(t.data).toBeInstanceOf(Float32Array);
    const want = e.values.map((v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Math.fround(v as number)));
    // Object.is: exact, and tells -0 from 0 and matches NaN.
    [...t.data].forEach((v, i) => expect(Object.is(v, want[i]), `${e.name}[${i}]: ${v} vs ${want[i]}`).toBe(true));
    return;
  }
  expect([...t.data]).toEqual(e.values);
}

async function asyncErrorOf(p: Promise<unknown>): Promise<TorchCheckpointError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TorchCheckpointError);
    return e as TorchCheckpointError;
  }
  throw new Error('expected a TorchCheckpointError');
}

describe('readTorchCheckpointFile on torch 1.13 fixtures', () => {
  for (const [file, want] of Object.entries(expected.files)) {
    it(`reads ${file} exactly`, async () => {
      const sd = await readTorchCheckpointFile(join(FIXTURES, file));
      expect([...sd.keys()]).toEqual(want.tensors.map((t) => t.name));
      for (const e of want.tensors) expectValues(sd.get(e.name) as TorchTensor, e);
    });
  }

  it('reads the same values from byte views at any alignment', () => {
    const file = readFileSync(join(FIXTURES, 'all_dtypes.pth'));
    for (const shift of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const backing = new Uint8Array(file.length + 8);
      backing.set(file, shift);
      const sd = readTorchStateDict(backing.subarray(shift, shift + file.length), `shift${shift}`);
      for (const e of expected.files['all_dtypes.pth'].tensors) expectValues(sd.get(e.name) as TorchTensor, e);
    }
  });

  it('covers every dtype and view kind in all_dtypes.pth', () => {
    const names = expected.files['all_dtypes.pth'].tensors.map((t) => `${t.name}:${t.dtype}`);
    for (const want of ['scalar:float32', 'fc.weight_t:float32', 'slice:float32', 'expanded:float32', 'half:float16',
      'bfloat:bfloat16', 'double:float64', 'long:int64', 'int:int32', 'short:int16', 'int8:int8', 'uint8:uint8',
      'bool:bool', 'bn.num_batches_tracked:int64']) {
      expect(names).toContain(want);
    }
  });

  it('gives independent arrays for tensors that share one storage', () => {
    const sd = readTorchStateDict(readFileSync(join(FIXTURES, 'all_dtypes.pth')));
    const row = sd.get('row') as TorchTensor;
    const whole = sd.get('whole') as TorchTensor;
    expect([...row.data]).toEqual([10, 11, 12, 13, 14]);
    (whole.data as Float32Array)[10] = -1;
    expect(row.data[0]).toBe(10);
    expect([...(sd.get('slice') as TorchTensor).data]).toEqual([6, 7, 8, 11, 12, 13]);
  });

  it('unwraps model / net / state_dict and ignores the other entries', async () => {
    const ck = readTorchCheckpoint(readFileSync(join(FIXTURES, 'wrapped_model.pth')), 'wrapped_model.pth');
    expect(ck.version).toBe(3);
    expect(ck.littleEndian).toBe(true);
    expect(ck.archiveName).toBe('wrapped_model.pth');
    expect(ck.root).toBeInstanceOf(PyDict);
    const root = ck.root as PyDict;
    expect(root.map.get('epoch')).toBe(3);
    expect([...root.map.keys()]).toEqual(['epoch', 'model', 'best_acc', 'optimizer']);
    // The state dict's _metadata (BUILD state of the OrderedDict) is kept as an attribute, not an entry.
    expect((root.map.get('model') as PyDict).attrs.has('_metadata')).toBe(true);
    const net = await readTorchCheckpointFile(join(FIXTURES, 'wrapped_net.pth'));
    expect([...net.keys()]).toEqual(['conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var',
      'bn1.num_batches_tracked', 'fc.weight', 'fc.bias']);
    expect((net.get('bn1.num_batches_tracked') as TorchTensor).data).toEqual(BigInt64Array.of(3n));
  });

  it('selects the state dict by key when asked', () => {
    const buf = readFileSync(join(FIXTURES, 'wrapped_model.pth'));
    expect(readTorchStateDict(buf, 'w.pth', { key: 'model' }).size).toBe(8);
    expect(errorOf(() => readTorchStateDict(buf, 'w.pth', { key: 'ema' })).message).toMatch(/^w\.pth: the checkpoint has no key "ema"/);
    expect(errorOf(() => readTorchStateDict(buf, 'w.pth', { key: 'epoch' })).message).toMatch(/^w\.pth: the checkpoint\["epoch"\] is 3, not a state dict/);
  });

  it('strips the DataParallel module. prefix only when asked (default on)', async () => {
    const path = join(FIXTURES, 'dataparallel.pth');
    const stripped = await readTorchCheckpointFile(path);
    expect([...stripped.keys()][0]).toBe('conv1.weight');
    const kept = await readTorchCheckpointFile(path, { stripModulePrefix: false });
    expect([...kept.keys()].every((k) => k.startsWith('module.'))).toBe(true);
    expect(kept.size).toBe(stripped.size);
  });

  it('tolerates a non-allowed global outside the state dict, unless strict', async () => {
    const path = join(FIXTURES, 'wrapped_state_dict.pth');
    const ck = readTorchCheckpoint(readFileSync(path), path);
    const args = (ck.root as PyDict).map.get('args');
    expect(args).toBeInstanceOf(PyObject);
    expect((args as PyObject).global.qualifiedName).toBe('argparse.Namespace');
    expect((await readTorchCheckpointFile(path)).size).toBe(8);
    const e = await asyncErrorOf(readTorchCheckpointFile(path, { strict: true }));
    expect(e.file).toBe(path);
    expect(e.message).toContain('global argparse.Namespace is not allowed');
  });
});

describe('readTorchStateDict errors', () => {
  const fixture = (name: string) => readFileSync(join(FIXTURES, name));

  it('rejects the legacy (pre-1.6) format', () => {
    const e = errorOf(() => readTorchStateDict(fixture('legacy.pth'), 'legacy.pth'));
    expect(e.file).toBe('legacy.pth');
    expect(e.message).toMatch(/^legacy\.pth: legacy torch\.save format .*re-save/);
  });

  it('rejects a pickled whole module, naming its class', () => {
    const e = errorOf(() => readTorchStateDict(fixture('whole_module.pth'), 'whole_module.pth'));
    expect(e.message).toMatch(/^whole_module\.pth: the checkpoint is an object made by __main__\.Small/);
    expect(e.message).toContain('state_dict()');
  });

  it('rejects a TorchScript archive', () => {
    expect(errorOf(() => readTorchStateDict(fixture('torchscript.pt'), 'ts.pt')).message).toMatch(/^ts\.pt: a TorchScript archive/);
  });

  it('rejects truncated files', () => {
    const full = fixture('all_dtypes.pth');
    for (const cut of [full.length - 1, full.length - 30, Math.floor(full.length / 2), 100]) {
      const e = errorOf(() => readTorchStateDict(full.subarray(0, cut), 'cut.pth'));
      expect(e.message).toMatch(/^cut\.pth: zip archive is truncated or damaged/);
    }
  });

  it('rejects data that is not a zip, and an empty file', () => {
    expect(errorOf(() => readTorchStateDict(new TextEncoder().encode('hello, world'), 'a.txt')).message).toBe(
      'a.txt: not a zip archive (no end-of-central-directory record)',
    );
    expect(errorOf(() => readTorchStateDict(new Uint8Array(0), 'e.pth')).message).toBe('e.pth: file is empty');
    expect(errorOf(() => readTorchStateDict(bytes(OP.PROTO2, 'N.'), 'p.pkl')).message).toMatch(/^p\.pkl: a bare pickle/);
  });

  it('rejects a file that does not exist', async () => {
    const e = await asyncErrorOf(readTorchCheckpointFile(join(FIXTURES, 'nope.pth')));
    expect(e.message).toMatch(/nope\.pth: cannot read the file/);
  });

  it('detects a corrupted storage record by its CRC', () => {
    const buf = new Uint8Array(fixture('all_dtypes.pth'));
    const ck = readTorchCheckpoint(buf, 'x.pth');
    expect(ck.root).toBeInstanceOf(PyDict);
    // Flip one byte inside the first storage's data (located through a clean read).
    const clean = readTorchStateDict(buf, 'x.pth').get('conv.weight') as TorchTensor;
    const needle = new Uint8Array((clean.data as Float32Array).buffer).subarray(0, 8);
    const at = Buffer.from(buf).indexOf(Buffer.from(needle));
    expect(at).toBeGreaterThan(0);
    buf[at + 3] ^= 0x40;
    expect(errorOf(() => readTorchStateDict(buf, 'x.pth')).message).toMatch(/^x\.pth: zip record all_dtypes\.pth\/data\/\d+ is corrupt: CRC-32/);
  });

  it('rejects a zip without data.pkl', () => {
    const zip = buildZip([{ name: 'archive/version', data: '3\n' }, { name: 'archive/data/0', data: f32([1]) }]);
    expect(errorOf(() => readTorchStateDict(zip, 'z.pth')).message).toMatch(/^z\.pth: zip archive has no data\.pkl record/);
  });

  const weight = { name: 'w', key: '0', numel: 4, shape: [2, 2], stride: [2, 1] };

  it('reads a hand-written checkpoint (stored, deflated and zip64 archives)', () => {
    for (const opts of [{ deflate: false, zip64: false }, { deflate: true, zip64: false }, { deflate: true, zip64: true }]) {
      const zip = buildZip(
        [
          { name: 'ck/data.pkl', data: torchPickle([weight, { ...weight, name: 'wt', stride: [1, 2] }]), deflate: opts.deflate },
          { name: 'ck/data/0', data: f32([1, 2, 3, 4]), deflate: opts.deflate },
          { name: 'ck/version', data: '3\n' },
        ],
        { zip64: opts.zip64 },
      );
      const sd = readTorchStateDict(zip, 'h.pth');
      expect([...(sd.get('w') as TorchTensor).data]).toEqual([1, 2, 3, 4]);
      expect([...(sd.get('wt') as TorchTensor).data]).toEqual([1, 3, 2, 4]);
    }
  });

  it('reads big-endian storages when the archive says byteorder big', () => {
    const be = new Uint8Array(f32([1.5, -2, 3, 4])).reverse().reverse();
    for (let i = 0; i < be.length; i += 4) be.subarray(i, i + 4).reverse();
    const zip = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([weight]) },
      { name: 'archive/data/0', data: be },
      { name: 'archive/byteorder', data: 'big' },
    ]);
    expect([...(readTorchStateDict(zip).get('w') as TorchTensor).data]).toEqual([1.5, -2, 3, 4]);
  });

  it('names a non-allowed global inside the state dict', () => {
    const evil = bytes(OP.str('evil'), OP.global('os', 'system'), OP.MARK, OP.str('rm -rf /'), OP.TUPLE, OP.REDUCE);
    const zip = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([weight], evil) },
      { name: 'archive/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    expect(errorOf(() => readTorchStateDict(zip, 'evil.pth')).message).toMatch(
      /^evil\.pth: the checkpoint\["evil"\] is an object made by os\.system/,
    );
    expect(errorOf(() => readTorchStateDict(zip, 'evil.pth', { strict: true })).message).toMatch(
      /^evil\.pth: archive\/data\.pkl: global os\.system is not allowed in a checkpoint \(pickle opcode GLOBAL at byte \d+\)/,
    );
  });

  it('rejects a missing storage record, a view past its storage and a short storage', () => {
    const missing = buildZip([{ name: 'archive/data.pkl', data: torchPickle([weight]) }]);
    expect(errorOf(() => readTorchStateDict(missing, 'm.pth')).message).toMatch(/^m\.pth: archive\/data\.pkl: storage 0 has no record archive\/data\/0/);
    const past = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([{ ...weight, offset: 1 }]) },
      { name: 'archive/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    expect(errorOf(() => readTorchStateDict(past, 'p.pth')).message).toMatch(/^p\.pth: tensor w: view \(offset 1, shape \[2,2\], stride \[2,1\]\) reaches past its storage 0/);
    const short = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([weight]) },
      { name: 'archive/data/0', data: f32([1, 2, 3]) },
    ]);
    expect(errorOf(() => readTorchStateDict(short, 's.pth')).message).toMatch(/^s\.pth: storage record archive\/data\/0 has 12 bytes, 4 float32 elements need 16/);
  });

  it('rejects an unknown storage type and a truncated pickle', () => {
    const zip = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([{ ...weight, storage: 'ComplexFloatStorage' }]) },
      { name: 'archive/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    // ComplexFloatStorage is not allowed at all, so it is reported as a non-allowed global / storage type.
    expect(errorOf(() => readTorchStateDict(zip, 'c.pth')).message).toMatch(/^c\.pth: archive\/data\.pkl: unsupported storage type torch\.ComplexFloatStorage/);
    const pkl = torchPickle([weight]);
    const cut = buildZip([
      { name: 'archive/data.pkl', data: pkl.subarray(0, pkl.length - 3) },
      { name: 'archive/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    expect(errorOf(() => readTorchStateDict(cut, 't.pth')).message).toMatch(/^t\.pth: archive\/data\.pkl: pickle is truncated/);
  });

  it('rejects a dict without tensors and a non-tensor inside the state dict', () => {
    const noTensors = buildZip([{ name: 'archive/data.pkl', data: bytes(OP.PROTO2, OP.EMPTY_DICT, OP.str('epoch'), OP.int1(3), OP.SETITEM, OP.STOP) }]);
    expect(errorOf(() => readTorchStateDict(noTensors, 'n.pth')).message).toMatch(
      /^n\.pth: no state dict found: the checkpoint is a dict with keys "epoch" and holds no tensors/,
    );
    const mixed = buildZip([
      { name: 'archive/data.pkl', data: torchPickle([weight], bytes(OP.str('epoch'), OP.int1(3))) },
      { name: 'archive/data/0', data: f32([1, 2, 3, 4]) },
    ]);
    expect(errorOf(() => readTorchStateDict(mixed, 'x.pth')).message).toBe('x.pth: the checkpoint["epoch"] is 3, not a tensor');
  });
});
