/**
 * Arrow IPC stream helpers for the Unix filters (`atkd stage ...`): read record batches from stdin
 * (or any byte source), write them to stdout (or any writable) with backpressure, and run an RxJS
 * stage operator between the two.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { RecordBatchReader, RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { Subject, type OperatorFunction } from 'rxjs';
import { IpcError } from './errors.js';
import { describeType } from './types.js';

/** Bytes of an Arrow IPC stream (or file): a Node readable (stdin), an (async) iterable of chunks, or one buffer. */
export type ByteSource = NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** An opened Arrow IPC input: its schema and its record batches (read lazily, one at a time). */
export interface IpcInput {
  schema: Schema;
  batches: AsyncIterable<RecordBatch>;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Opens an Arrow IPC stream (or file) from `input`; `source` names it in errors (default `stdin`).
 * Throws an {@link IpcError} naming the source when the input is empty or not Arrow IPC.
 */
export async function openIpcStream(input: ByteSource, source = 'stdin'): Promise<IpcInput> {
  let reader: RecordBatchReader;
  const ending = new StreamEnding();
  try {
    // `from` accepts all of ByteSource (Node streams, (async) iterables of chunks, buffers) via overloads.
    reader = await (RecordBatchReader.from as (source: unknown) => RecordBatchReader | Promise<RecordBatchReader>)(ending.watch(input));
    await reader.open();
  } catch (cause) {
    throw new IpcError(source, `not an Arrow IPC stream (${describeCause(cause)})`, { cause });
  }
  const schema = reader.schema as Schema | undefined;
  if (schema === undefined || schema === null) {
    throw new IpcError(source, 'is empty or has no Arrow schema message; expected an Arrow IPC stream');
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    const it = reader[Symbol.asyncIterator]() as AsyncIterator<RecordBatch>;
    let index = 0;
    while (true) {
      let step: IteratorResult<RecordBatch>;
      try {
        step = await it.next();
      } catch (cause) {
        throw new IpcError(source, `record batch ${index} is not valid Arrow IPC (${describeCause(cause)})`, { cause });
      }
      if (step.done) {
        if (ending.truncated()) {
          throw new IpcError(
            source,
            `ends after record batch ${index - 1} (${index} batches) without the Arrow end-of-stream marker: the stream is truncated (its writer failed or was killed); ${index} batches read, the rest is missing`,
          );
        }
        return;
      }
      index++;
      if (isEmptyPlaceholder(step.value)) continue;
      yield step.value;
    }
  }
  return { schema, batches: batches() };
}

/** Arrow's end-of-stream marker: continuation 0xFFFFFFFF then a zero length (pre-1.0 streams: four zero bytes). */
const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
/** The magic an Arrow IPC *file* ends with (its footer, not an end-of-stream marker, closes it). */
const FILE_MAGIC = Uint8Array.from('ARROW1', (c) => c.charCodeAt(0));

function endsWith(tail: Uint8Array, suffix: Uint8Array): boolean {
  if (tail.length < suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) if (tail[tail.length - suffix.length + i] !== suffix[i]) return false;
  return true;
}

/**
 * Watches the bytes handed to Arrow's reader: remembers the last 8 and whether the source ran out.
 * Arrow JS ends a stream without complaint at the end of its bytes, so a stream cut at a message
 * boundary (a writer that failed after batch k) would read as complete; {@link truncated} tells. @internal
 */
class StreamEnding {
  private tail = new Uint8Array(0);
  private ended = false;

  watch(input: ByteSource): ByteSource {
    if (input instanceof Uint8Array) {
      this.see(input);
      this.ended = true;
      return input;
    }
    const see = (chunk: Uint8Array) => this.see(chunk);
    const end = () => {
      this.ended = true;
    };
    if (Symbol.asyncIterator in (input as object)) {
      return (async function* () {
        for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          see(bytes);
          yield bytes;
        }
        end();
      })();
    }
    return (function* () {
      for (const chunk of input as Iterable<Uint8Array>) {
        see(chunk);
        yield chunk;
      }
      end();
    })();
  }

  private see(chunk: Uint8Array): void {
    if (chunk.length >= 8) this.tail = chunk.slice(chunk.length - 8);
    else if (chunk.length > 0) {
      const joined = new Uint8Array(this.tail.length + chunk.length);
      joined.set(this.tail);
      joined.set(chunk, this.tail.length);
      this.tail = joined.slice(Math.max(0, joined.length - 8));
    }
  }

  /** Whether the source ran out without an end-of-stream marker (or a file's closing magic). */
  truncated(): boolean {
    if (!this.ended) return false; // the reader stopped at a marker before the source's end
    return !(endsWith(this.tail, EOS) || endsWith(this.tail, EOS.subarray(4)) || endsWith(this.tail, FILE_MAGIC));
  }
}

/**
 * Arrow JS yields one empty record batch (no rows, no metadata) for a stream that has a schema and
 * no batch; that is not data. @internal
 */
function isEmptyPlaceholder(batch: RecordBatch): boolean {
  return batch.numRows === 0 && batch.metadata.size === 0;
}

/** Every record batch of `input` (see {@link openIpcStream}). */
export async function* readIpcStream(input: ByteSource, source = 'stdin'): AsyncGenerator<RecordBatch> {
  const opened = await openIpcStream(input, source);
  yield* opened.batches;
}

/** Throws an {@link IpcError} if `schema` does not have the same fields (names, types, order) as `first`. */
export function checkSameFields(first: Schema, schema: Schema, sink: string, index: number): void {
  const a = first.fields;
  const b = schema.fields;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const fa = a[i];
    const fb = b[i];
    if (fa === undefined || fb === undefined || fa.name !== fb.name || describeType(fa.type) !== describeType(fb.type)) {
      const was = fa === undefined ? 'nothing' : `"${fa.name}": ${describeType(fa.type)}`;
      const is = fb === undefined ? 'nothing' : `"${fb.name}": ${describeType(fb.type)}`;
      throw new IpcError(sink, `record batch ${index} changes the schema: column ${i} was ${was}, is ${is}; one Arrow IPC stream has one schema`);
    }
  }
}

/** Result of {@link writeIpcStream}. */
export interface WriteSummary {
  batches: number;
  rows: number;
}

/**
 * Writes `batches` as one Arrow IPC stream to `output` (e.g. `process.stdout`), waiting for the
 * output to drain so at most about one batch is buffered; `onBatch` is called after each batch. Every batch must have the fields of the
 * first (an {@link IpcError} naming `sink` otherwise). With no batch, writes a stream of `schema`
 * alone (if given). Does not end `output`. Resolves when everything has been handed to `output`.
 * When `batches` throws, the batches before are written but the end-of-stream marker is not, so the
 * next reader (e.g. the next filter of a pipe, through {@link openIpcStream}) fails on the truncated
 * stream instead of taking it as complete; the error is rethrown.
 */
export async function writeIpcStream(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  output: Writable | NodeJS.WritableStream,
  options: { sink?: string; schema?: Schema; onBatch?: (summary: WriteSummary) => void } = {},
): Promise<WriteSummary> {
  const sink = options.sink ?? 'stdout';
  const out = output as Writable;
  const writer = new RecordBatchStreamWriter();
  let outputError: unknown;
  const onError = (e: unknown) => {
    outputError ??= e;
  };
  out.on('error', onError);
  const drain = async (): Promise<void> => {
    if (outputError !== undefined) throw new IpcError(sink, `write failed (${describeCause(outputError)})`, { cause: outputError });
    if (out.writableNeedDrain) {
      // the listener of the event that did not fire is removed (it leaked one 'close' and one 'error' listener per wait)
      const stop = new AbortController();
      try {
        await Promise.race([once(out, 'drain', { signal: stop.signal }), once(out, 'close', { signal: stop.signal })]);
      } finally {
        stop.abort();
      }
    }
  };
  // Set before the writer is closed after a failure: its last chunk is then the end-of-stream marker,
  // which is held back so the output stays visibly incomplete (a reader fails on it).
  let failed = false;
  const pump = (async () => {
    let held: Uint8Array | undefined;
    for await (const chunk of writer as AsyncIterable<Uint8Array>) {
      if (outputError !== undefined) continue; // keep consuming so the writer can finish
      if (failed) {
        // everything left is already queued: look one chunk ahead to drop the marker
        if (held !== undefined) out.write(held);
        held = chunk;
        continue;
      }
      out.write(chunk);
      if (out.writableNeedDrain) await drain().catch(() => undefined);
    }
    if (held !== undefined && !(held.length === EOS.length && endsWith(held, EOS)) && outputError === undefined) out.write(held);
  })();
  const summary: WriteSummary = { batches: 0, rows: 0 };
  let first: Schema | undefined;
  try {
    for await (const batch of batches) {
      if (first === undefined) first = batch.schema;
      else checkSameFields(first, batch.schema, sink, summary.batches);
      writer.write(batch);
      summary.batches++;
      summary.rows += batch.numRows;
      options.onBatch?.({ ...summary });
      // Let the pump hand the encoded chunks to `out`, then wait for `out` to drain.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await drain();
    }
    if (first === undefined && options.schema !== undefined) writer.reset(undefined, options.schema);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    writer.finish();
    await pump.catch(() => undefined);
    out.off('error', onError);
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (outputError !== undefined) throw new IpcError(sink, `write failed (${describeCause(outputError)})`, { cause: outputError });
  return summary;
}

/**
 * Runs the batches through an RxJS operator and yields what it emits, in order. The operator is
 * subscribed once (stateful operators keep their state across batches). Input is pulled one batch
 * at a time: a new batch is pushed only when fewer than `maxInFlight` (default 2) pushed batches are
 * still without output, so a one-batch-in, one-batch-out stage operator (the contract of every atkd
 * stage) buffers at most `maxInFlight` batches. Errors of the operator are thrown to the caller, their
 * message naming the record batch that failed (`(in record batch 19)`).
 */
export async function* throughOperator(
  batches: AsyncIterable<RecordBatch> | Iterable<RecordBatch>,
  operator: OperatorFunction<RecordBatch, RecordBatch>,
  maxInFlight = 2,
): AsyncGenerator<RecordBatch> {
  const subject = new Subject<RecordBatch>();
  const queue: RecordBatch[] = [];
  let pushed = 0;
  let emitted = 0;
  let done = false;
  let failed = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sub = subject.pipe(operator).subscribe({
    next: (b) => {
      queue.push(b);
      emitted++;
      poke();
    },
    error: (e: unknown) => {
      failed = true;
      failure = e;
      done = true;
      poke();
    },
    complete: () => {
      done = true;
      poke();
    },
  });
  const waitForOutput = () => new Promise<void>((resolve) => (wake = resolve));
  try {
    for await (const batch of batches) {
      if (done) break;
      subject.next(batch);
      pushed++;
      while (queue.length > 0) yield queue.shift() as RecordBatch;
      while (!done && pushed - emitted >= maxInFlight) {
        await waitForOutput();
        while (queue.length > 0) yield queue.shift() as RecordBatch;
      }
      if (failed) throw inBatch(failure, emitted);
    }
    subject.complete();
    while (true) {
      while (queue.length > 0) yield queue.shift() as RecordBatch;
      if (failed) throw inBatch(failure, emitted);
      if (done) break;
      await waitForOutput();
    }
  } finally {
    sub.unsubscribe();
  }
}

/**
 * Names the record batch (0-based, in input order) an operator failed on, unless the message already
 * names one: a one-batch-in, one-batch-out stage fails on the first batch it has not emitted. @internal
 */
function inBatch(failure: unknown, index: number): unknown {
  if (failure instanceof Error && !/record batch \d/.test(failure.message)) failure.message = `${failure.message} (in record batch ${index})`;
  return failure;
}

/** Summary of {@link runIpcFilter}. */
export interface FilterSummary extends WriteSummary {
  /** Input schema. */
  schema: Schema;
}

/**
 * A Unix filter: reads an Arrow IPC stream from `input`, runs every batch through `operator` and
 * writes the results to `output` as an Arrow IPC stream. `emptySchema` maps the input schema to the
 * output schema for an input with no batch (default: the input schema).
 */
export async function runIpcFilter(
  input: ByteSource,
  operator: OperatorFunction<RecordBatch, RecordBatch>,
  output: Writable | NodeJS.WritableStream,
  options: {
    source?: string;
    sink?: string;
    emptySchema?: (schema: Schema) => Schema;
    maxInFlight?: number;
    /** Called after each batch is written (for progress reports). */
    onBatch?: (summary: WriteSummary) => void;
  } = {},
): Promise<FilterSummary> {
  const opened = await openIpcStream(input, options.source ?? 'stdin');
  const emptySchema = options.emptySchema ? options.emptySchema(opened.schema) : opened.schema;
  const summary = await writeIpcStream(throughOperator(opened.batches, operator, options.maxInFlight), output, {
    sink: options.sink ?? 'stdout',
    schema: emptySchema,
    onBatch: options.onBatch,
  });
  return { ...summary, schema: opened.schema };
}

/** Encodes record batches as one Arrow IPC stream in memory (synchronous; for tests and small data). */
export function encodeIpcStream(batches: readonly RecordBatch[], schema?: Schema): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  if (batches.length === 0) {
    if (schema === undefined) throw new RangeError('encodeIpcStream: no batch and no schema');
    writer.reset(undefined, schema);
  }
  let first: Schema | undefined;
  batches.forEach((b, i) => {
    if (first === undefined) first = b.schema;
    else checkSameFields(first, b.schema, 'encodeIpcStream', i);
    writer.write(b);
  });
  writer.finish();
  return writer.toUint8Array(true);
}

/** Decodes an in-memory Arrow IPC stream (or file) into its schema and record batches. */
export function decodeIpcStream(bytes: Uint8Array, source = 'buffer'): { schema: Schema; batches: RecordBatch[] } {
  try {
    const reader = RecordBatchReader.from(bytes);
    reader.open();
    const schema = reader.schema as Schema | undefined;
    if (schema === undefined || schema === null) throw new IpcError(source, 'is empty or has no Arrow schema message; expected an Arrow IPC stream');
    const all = [...reader];
    const ending = new StreamEnding();
    ending.watch(bytes);
    if (ending.truncated()) {
      throw new IpcError(source, `ends after record batch ${all.length - 1} (${all.length} batches) without the Arrow end-of-stream marker: the stream is truncated (its writer failed or was killed)`);
    }
    return { schema, batches: all.filter((b) => !isEmptyPlaceholder(b)) };
  } catch (cause) {
    if (cause instanceof IpcError) throw cause;
    throw new IpcError(source, `not an Arrow IPC stream (${describeCause(cause)})`, { cause });
  }
}
