import { PassThrough, Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { delay, map, concatMap, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import {
  decodeIpcStream,
  encodeIpcStream,
  IpcError,
  openIpcStream,
  readBatchMetrics,
  readFloat32,
  readLogits,
  readTemperatureMeta,
  runIpcFilter,
  TEACHER_LOGITS,
  TEMPERATURE,
  temperatureMetaEntries,
  throughOperator,
  withBatchMetrics,
  withFloat32Column,
  withSchemaMetadata,
  writeIpcStream,
} from '../src/index.js';
import { makeBatch } from './helpers.js';

async function collect(stream: PassThrough): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

describe('Arrow IPC', () => {
  it('round-trips batches, schema metadata and per-batch metrics in memory', () => {
    const withMeta = (b: RecordBatch, i: number) =>
      withBatchMetrics(withSchemaMetadata(b, temperatureMetaEntries({ strategy: 's', standardize: true, eps: 1e-7, pending: undefined })), { i });
    const batches = [makeBatch(3, 4, 1), makeBatch(2, 4, 2)].map(withMeta);
    const { schema, batches: back } = decodeIpcStream(encodeIpcStream(batches));
    expect(readTemperatureMeta(schema).standardize).toBe(true);
    expect(back.map((b) => readBatchMetrics(b))).toEqual([{ i: 0 }, { i: 1 }]);
    expect(Array.from(readLogits(back[1], TEACHER_LOGITS).values)).toEqual(Array.from(readLogits(batches[1], TEACHER_LOGITS).values));
  });

  it('writes a stream with backpressure that reads back batch by batch', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const bytes = collect(out);
    const batches = Array.from({ length: 6 }, (_, i) => makeBatch(50, 100, i + 1));
    const seen: number[] = [];
    const summary = await writeIpcStream(batches, out, { onBatch: (s) => seen.push(s.rows) });
    out.end();
    expect(summary).toEqual({ batches: 6, rows: 300 });
    expect(seen).toEqual([50, 100, 150, 200, 250, 300]);
    const opened = await openIpcStream(Readable.from([await bytes]));
    const rows: number[] = [];
    for await (const b of opened.batches) rows.push(readLogits(b, TEACHER_LOGITS, 100).rows);
    expect(rows).toEqual([50, 50, 50, 50, 50, 50]);
  });

  it('names the source of input that is not Arrow, or empty', async () => {
    await expect(openIpcStream(Readable.from([Buffer.from('this is not an arrow stream at all')]))).rejects.toThrow(/^stdin: not an Arrow IPC stream/);
    await expect(openIpcStream(Readable.from([Buffer.alloc(0)]), 'in.arrows')).rejects.toThrow(/^in\.arrows: is empty/);
    expect(() => decodeIpcStream(new Uint8Array([1, 2, 3]), 'x.arrows')).toThrow(IpcError);
  });

  it('names a truncated stream', async () => {
    const bytes = encodeIpcStream([makeBatch(10, 10), makeBatch(10, 10, 2)]);
    const cut = bytes.subarray(0, bytes.length - 200);
    const opened = await openIpcStream(Readable.from([Buffer.from(cut)]));
    const read = async () => {
      for await (const b of opened.batches) void b;
    };
    await expect(read()).rejects.toThrow(/^stdin: record batch 1 is not valid Arrow IPC/);
  });

  it('refuses a schema change mid-stream, naming the column', async () => {
    const a = makeBatch(2, 3);
    const b = withFloat32Column(makeBatch(2, 3), TEMPERATURE, [1, 2]);
    expect(() => encodeIpcStream([a, b])).toThrow('column 3 was nothing, is "temperature": Float32');
    const out = new PassThrough();
    void collect(out);
    await expect(writeIpcStream([a, b], out)).rejects.toThrow(/^stdout: record batch 1 changes the schema/);
  });

  it('reports a failing output, naming the sink', async () => {
    const out = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE-like'));
      },
    });
    await expect(writeIpcStream([makeBatch(2, 3)], out, { sink: 'out.arrows' })).rejects.toThrow(/^out\.arrows: write failed \(EPIPE-like\)/);
  });
});

describe('throughOperator / runIpcFilter', () => {
  const addT = map((b: RecordBatch) => withFloat32Column(b, TEMPERATURE, new Float32Array(b.numRows).fill(b.numRows)));

  it('runs a synchronous operator batch by batch in order', async () => {
    const out: RecordBatch[] = [];
    for await (const b of throughOperator([makeBatch(1, 2), makeBatch(2, 2), makeBatch(3, 2)], addT)) out.push(b);
    expect(out.map((b) => Array.from(readFloat32(b, TEMPERATURE)))).toEqual([[1], [2, 2], [3, 3, 3]]);
  });

  it('bounds the batches pushed ahead of an asynchronous operator', async () => {
    let pulled = 0;
    let done = 0;
    let maxAhead = 0;
    function* source() {
      for (let i = 0; i < 8; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield makeBatch(1, 2, i + 1);
      }
    }
    const slow = concatMap((b: RecordBatch) => of(b).pipe(delay(2), map((x) => (done++, x))));
    const out: RecordBatch[] = [];
    for await (const b of throughOperator(source(), slow, 2)) out.push(b);
    expect(out.length).toBe(8);
    expect(maxAhead).toBeLessThanOrEqual(2);
    expect(out.map((b) => b.getChild('index')!.get(0))).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
  });

  it('throws the operator error', async () => {
    const boom = map((b: RecordBatch) => {
      if (b.numRows === 2) throw new Error('column "x" is missing');
      return b;
    });
    const run = async () => {
      for await (const b of throughOperator([makeBatch(1, 2), makeBatch(2, 2)], boom)) void b;
    };
    await expect(run()).rejects.toThrow('column "x" is missing');
  });

  it('filters an Arrow stream end to end, and writes the schema of an empty input', async () => {
    const input = encodeIpcStream([makeBatch(4, 3), makeBatch(5, 3, 2)]);
    const out = new PassThrough();
    const bytes = collect(out);
    const summary = await runIpcFilter(Readable.from([Buffer.from(input)]), addT, out);
    out.end();
    expect(summary.batches).toBe(2);
    expect(summary.rows).toBe(9);
    const { batches } = decodeIpcStream(await bytes);
    expect(batches.map((b) => Array.from(readFloat32(b, TEMPERATURE)))).toEqual([[4, 4, 4, 4], [5, 5, 5, 5, 5]]);

    const empty = encodeIpcStream([], makeBatch(1, 3).schema);
    const out2 = new PassThrough();
    const bytes2 = collect(out2);
    await runIpcFilter(Readable.from([Buffer.from(empty)]), addT, out2);
    out2.end();
    const back = decodeIpcStream(await bytes2);
    expect(back.batches.length).toBe(0);
    expect(back.schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits']);
  });

  it('a writer that fails mid-stream leaves no end-of-stream marker, and the reader fails naming the batch', async () => {
    const out = new PassThrough();
    const bytes = collect(out);
    async function* failing() {
      for (let i = 0; i < 5; i++) {
        if (i === 3) throw new RangeError('teacher_logits[row 7, column 2] is NaN');
        yield makeBatch(20, 10, i + 1);
      }
    }
    await expect(writeIpcStream(failing(), out)).rejects.toThrow(/is NaN/);
    out.end();
    const written = await bytes;
    const whole = encodeIpcStream([1, 2, 3].map((seed) => makeBatch(20, 10, seed)));
    expect(Array.from(whole.subarray(whole.length - 8))).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    expect(written.length).toBe(whole.length - 8); // everything but the marker
    const opened = await openIpcStream(Readable.from([written]));
    const rows: number[] = [];
    await expect(
      (async () => {
        for await (const b of opened.batches) rows.push(b.numRows);
      })(),
    ).rejects.toThrow(/^stdin: ends after record batch 2 \(3 batches\) without the Arrow end-of-stream marker: the stream is truncated/);
    expect(rows).toEqual([20, 20, 20]);
    expect(() => decodeIpcStream(written, 'x.arrows')).toThrow(/^x\.arrows: ends after record batch 2 .*truncated/);
  });

  it('a filter whose operator fails names the batch, and its output fails the next filter', async () => {
    const input = encodeIpcStream(Array.from({ length: 6 }, (_, i) => makeBatch(10, 10, i + 1)));
    const out = new PassThrough();
    const bytes = collect(out);
    let seen = 0;
    const failAt4 = map((b: RecordBatch) => {
      if (seen++ === 4) throw new RangeError('teacher_logits[row 3, column 1] is NaN');
      return b;
    });
    await expect(runIpcFilter(Readable.from([input]), failAt4, out)).rejects.toThrow('teacher_logits[row 3, column 1] is NaN (in record batch 4)');
    out.end();
    const next = new PassThrough();
    void collect(next);
    await expect(runIpcFilter(Readable.from([await bytes]), map((b: RecordBatch) => b), next)).rejects.toThrow(/ends after record batch 3 \(4 batches\) without the Arrow end-of-stream marker/);
  });

  it('a complete stream still reads to the end, also in small chunks', async () => {
    const whole = encodeIpcStream([1, 2].map((seed) => makeBatch(5, 10, seed)));
    const chunks = Array.from({ length: Math.ceil(whole.length / 3) }, (_, i) => whole.subarray(3 * i, 3 * i + 3));
    const opened = await openIpcStream(Readable.from(chunks));
    let n = 0;
    for await (const b of opened.batches) n += b.numRows;
    expect(n).toBe(10);
  });

  it('writeIpcStream leaves no listener behind on a slow output (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const out = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        setImmediate(cb);
      },
    });
    const before = { error: out.listenerCount('error'), close: out.listenerCount('close'), drain: out.listenerCount('drain') };
    for (let i = 0; i < 3; i++) await writeIpcStream(Array.from({ length: 15 }, (_, j) => makeBatch(4, 10, j + 1)), out);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect({ error: out.listenerCount('error'), close: out.listenerCount('close'), drain: out.listenerCount('drain') }).toEqual(before);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });
});
