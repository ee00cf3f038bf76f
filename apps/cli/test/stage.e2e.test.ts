// The stage filters end to end: spawn the built CLI (`atkd stage ...`) on Arrow IPC streams and check
// the columns, values, exit codes, messages and files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Field, makeData, RecordBatch, Schema, Struct, Uint32, Uint8 } from 'apache-arrow';
import {
  decodeIpcStream,
  encodeIpcStream,
  META,
  readBatchMetrics,
  readFloat32,
  readLogits,
  readTemperatureMeta,
  SOFT_TARGETS,
  TEMPERATURE,
  withLogitsColumn,
} from '@atkd/columns';
import { maxLogitTemperature, softmax, taylorSoftmax, zscore } from '@atkd/math';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = resolve(import.meta.dirname, '..', 'dist', 'main.js');
const C = 10;
const work = mkdtempSync(join(tmpdir(), 'atkd-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function logits(rows: number, seed: number): Float32Array {
  const out = new Float32Array(rows * C);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * 6;
  }
  return out;
}

/** index + fine (like @atkd/data) + teacher_logits. */
function batch(rows: number, seed: number, withTeacher = true): RecordBatch {
  const fields = [new Field('index', new Uint32(), false), new Field('fine', new Uint8(), false)];
  const children = [
    makeData({ type: new Uint32(), length: rows, nullCount: 0, data: Uint32Array.from({ length: rows }, (_, i) => seed * 100 + i) }),
    makeData({ type: new Uint8(), length: rows, nullCount: 0, data: Uint8Array.from({ length: rows }, (_, i) => i % C) }),
  ];
  const b = new RecordBatch(new Schema(fields, new Map([['format', 'atkd-cifar-100/1']])), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  return withTeacher ? withLogitsColumn(b, 'teacher_logits', logits(rows, seed), C) : b;
}

function atkd(args: string[], input?: Uint8Array) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString('utf8') };
}

const input = encodeIpcStream([batch(5, 1), batch(3, 2)]);

describe('atkd stage (spawned CLI)', () => {
  it('temperature --strategy adaptive-teacher adds the max-logit temperature and passes the other columns through', () => {
    const r = atkd(['stage', 'temperature', '--strategy', 'adaptive-teacher', '--classes', String(C)], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { schema, batches } = decodeIpcStream(r.stdout, 'stdout');
    expect(schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits', 'temperature']);
    expect(schema.metadata.get('format')).toBe('atkd-cifar-100/1');
    expect(readTemperatureMeta(schema)).toMatchObject({ strategy: 'adaptive-teacher', standardize: true, pending: undefined });
    expect(batches.map((b) => b.numRows)).toEqual([5, 3]);
    for (const [i, b] of batches.entries()) {
      const t = readLogits(b, 'teacher_logits', C).values;
      expect(Array.from(t)).toEqual(Array.from(logits(b.numRows, i + 1)));
      const ref = maxLogitTemperature(t, C);
      const got = readFloat32(b, TEMPERATURE);
      for (let k = 0; k < got.length; k++) expect(Math.abs(got[k] - ref[k]) / ref[k]).toBeLessThan(2 ** -22);
      expect(Array.from(b.getChild('index')!.toArray() as Uint32Array)).toEqual(Array.from({ length: b.numRows }, (_, j) => (i + 1) * 100 + j));
    }
  });

  it('temperature | soft-targets --order 2 gives Taylor soft targets on z-scores and radius metrics', () => {
    const t = atkd(['stage', 'temperature', '--strategy', 'adaptive-teacher'], input);
    expect(t.code).toBe(0);
    const s = atkd(['stage', 'soft-targets', '--order', '2'], t.stdout);
    expect(s.stderr).toBe('');
    expect(s.code).toBe(0);
    const { schema, batches } = decodeIpcStream(s.stdout);
    expect(schema.metadata.get(META.softTargetsMethod)).toBe('taylor');
    for (const b of batches) {
      const lt = readLogits(b, 'teacher_logits').values;
      const T = readFloat32(b, TEMPERATURE);
      const ref = taylorSoftmax(zscore(lt, C), C, T, 2);
      const got = readLogits(b, SOFT_TARGETS, C).values;
      for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(ref[k], 6);
      expect(readBatchMetrics(b)['soft_targets.outside_radius']).toBe(0);
      expect(readBatchMetrics(b)['temperature.max']).toBe(Math.max(...T));
    }
  });

  it('static T=1 then exact soft targets: rows outside the radius are counted', () => {
    const t = atkd(['stage', 'temperature', '--strategy', 'static', '--temperature', '1'], input);
    const s = atkd(['stage', 'soft-targets'], t.stdout);
    expect(s.code).toBe(0);
    const { batches } = decodeIpcStream(s.stdout);
    expect(batches.map((b) => readBatchMetrics(b)['soft_targets.outside_radius'])).toEqual([5, 3]);
    const b = batches[0];
    const ref = softmax(readLogits(b, 'teacher_logits').values, C, 1);
    const got = readLogits(b, SOFT_TARGETS).values;
    for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(ref[k], 6);
  });

  describe('--input/--output', () => {
    const inPath = join(work, 'in.arrows');
    const outPath = join(work, 'out.arrows');
    beforeAll(() => {
      writeFileSync(inPath, input);
      const r = atkd(['stage', 'temperature', '--strategy', 'dtkd', '-i', inPath, '-o', outPath]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBe(0);
    });

    it('reads the file and writes the stage output to the other, nothing on stdout', () => {
      const { schema } = decodeIpcStream(new Uint8Array(readFileSync(outPath)));
      expect(schema.fields.map((f) => f.name)).toContain('student_temperature');
      expect(readTemperatureMeta(schema).pending).toBe('student');
    });

    it('--progress reports on stderr: a bar over the input file\'s bytes', () => {
      const withProgress = atkd(['stage', 'soft-targets', '--progress', '-i', outPath, '-o', join(work, 'st.arrows')]);
      expect(withProgress.code).toBe(0);
      expect(withProgress.stderr).toMatch(/atkd stage soft-targets \[#+\] 100%.*rows\/s.*ETA/);
    });

    it('a failing run leaves neither the output nor a temp file', () => {
      const bad = join(work, 'bad.arrows');
      writeFileSync(bad, 'not arrow at all, just some text');
      const failed = atkd(['stage', 'temperature', '-i', bad, '-o', join(work, 'never.arrows')]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/bad\.arrows: not an Arrow IPC stream/);
      expect(existsSync(join(work, 'never.arrows'))).toBe(false);
      expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
    });
  });

  it('interrupted with --output: exits 130 and leaves no file behind', async () => {
    const dir = mkdtempSync(join(work, 'int-'));
    const target = join(dir, 'out.arrows');
    const child = spawn(process.execPath, [MAIN, 'stage', 'temperature', '-o', target], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.write(input.subarray(0, Math.floor(input.length / 2))); // half a stream, stdin left open
    // wait until the temp file exists (the filter is running), then interrupt
    for (let i = 0; i < 200 && readdirSync(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(true);
    const code = await new Promise<number | null>((resolveExit) => {
      child.on('exit', (c) => resolveExit(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted (SIGINT)');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a stream with a schema and no batch gives a schema with the stage columns', () => {
    const empty = encodeIpcStream([], batch(1, 1).schema);
    const r = atkd(['stage', 'temperature'], empty);
    expect(r.code).toBe(0);
    const { schema, batches } = decodeIpcStream(r.stdout);
    expect(batches.length).toBe(0);
    expect(schema.fields.map((f) => f.name)).toEqual(['index', 'fine', 'teacher_logits', 'temperature']);
  });
});

describe('atkd stage: a failed filter leaves its output visibly incomplete', () => {
  /** 20 batches of 100 rows; batch 19 (the 20th) has a NaN logit in row 7. */
  function streamWithNaN(): Uint8Array {
    const batches = Array.from({ length: 20 }, (_, i) => {
      const l = logits(100, i + 1);
      if (i === 19) l[7 * C + 3] = Number.NaN;
      return withLogitsColumn(batch(100, i + 1, false), 'teacher_logits', l, C);
    });
    return encodeIpcStream(batches);
  }

  it('temperature fails naming batch and row, and soft-targets then fails on the truncated stream (was: exit 0 with 1,900 of 2,000 rows)', () => {
    const t = atkd(['stage', 'temperature'], streamWithNaN());
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/NaN at row 7, class 3 \(in record batch 19\)/);
    expect(() => decodeIpcStream(t.stdout)).toThrow(/truncated/);
    const s = atkd(['stage', 'soft-targets'], t.stdout);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/^atkd stage: stdin: ends after record batch 18 \(19 batches\) without the Arrow end-of-stream marker: the stream is truncated/);
    expect(() => decodeIpcStream(s.stdout)).toThrow(/truncated/);
  });

  it('the same through a shell pipe: the last filter exits non-zero', () => {
    const inPath = join(work, 'nan.arrows');
    writeFileSync(inPath, streamWithNaN());
    const r = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${MAIN}" stage temperature -q < "${inPath}" | "${process.execPath}" "${MAIN}" stage soft-targets -q > /dev/null`], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
  });

  it('errors about the --input file name the file, not stdin', () => {
    const inPath = join(work, 'nan-in.arrows');
    writeFileSync(inPath, streamWithNaN());
    const r = atkd(['stage', 'temperature', '-i', inPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${inPath}: `);
    expect(r.stderr).not.toContain('stdin');
  });
});

describe('atkd stage --output to something other than a regular file', () => {
  it('writes through a FIFO (was: replaced by a regular file)', async () => {
    const fifo = join(work, 'out.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = new Promise<Buffer>((resolveRead, reject) => {
      const cat = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      cat.stdout.on('data', (d: Buffer) => chunks.push(d));
      cat.on('error', reject);
      cat.on('close', () => resolveRead(Buffer.concat(chunks)));
    });
    const child = spawn(process.execPath, [MAIN, 'stage', 'temperature', '-o', fifo], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.end(input);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
    const got = await reader;
    expect(decodeIpcStream(new Uint8Array(got)).batches.map((b) => b.numRows)).toEqual([5, 3]);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('follows a symlink: the link stays a link, the file it names gets the output', () => {
    const real = join(work, 'real-out.arrows');
    writeFileSync(real, 'old');
    const link = join(work, 'link-out.arrows');
    symlinkSync(real, link);
    const r = atkd(['stage', 'temperature', '-o', link], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(decodeIpcStream(new Uint8Array(readFileSync(real))).batches.length).toBe(2);
    // a dangling link: the file is created where it points
    const dangling = join(work, 'dangling.arrows');
    symlinkSync(join(work, 'not-yet.arrows'), dangling);
    expect(atkd(['stage', 'temperature', '-o', dangling], input).code).toBe(0);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(existsSync(join(work, 'not-yet.arrows'))).toBe(true);
  });
});

describe('atkd stage errors (clear message on stderr, non-zero exit)', () => {
  it('input that is not Arrow names stdin', () => {
    const r = atkd(['stage', 'temperature'], new TextEncoder().encode('hello, this is not an arrow stream'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^atkd stage: stdin: not an Arrow IPC stream/);
    expect(r.stdout.length).toBe(0);
  });

  it('empty input names stdin', () => {
    const r = atkd(['stage', 'soft-targets'], new Uint8Array(0));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stdin: is empty/);
  });

  it('a missing column is named', () => {
    const r = atkd(['stage', 'temperature'], encodeIpcStream([batch(2, 1, false)]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('stdin: column "teacher_logits" is missing (columns present: index, fine)');
    const s = atkd(['stage', 'soft-targets'], input);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('column "temperature" is missing');
  });

  it('a wrong class count is named', () => {
    const r = atkd(['stage', 'temperature', '--classes', '100'], input);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('column "teacher_logits" has 10 classes per row (FixedSizeList[10]), expected 100');
  });

  const cases: Array<[string[], string]> = [
    [['stage', 'temperature', '--classes', 'abc'], 'flag --classes must be an integer'],
    [['stage', 'soft-targets', '--order', '0'], 'flag --order must be an integer in [1, 1000], got "0"'],
    [['stage', 'temperature', '--strategy', 'warm'], 'flag --strategy: unknown temperature strategy "warm" (known: static, logit-standardization, adaptive, adaptive-paired, adaptive-teacher, ctkd, dtkd)'],
    [['stage', 'temperature', '--strategy', 'static', '--temperature', '-2'], 'flag --temperature: strategy "static": option "temperature" must be > 0'],
    [['stage', 'temperature', '--strategy', 'adaptive', '--temperature', '2'], 'flag --temperature is not an option of strategy "adaptive" (its options: --standardize, --eps)'],
    [['stage', 'temperature', '--bogus'], 'unknown flag --bogus'],
    [['stage', 'temperature', '--strategy'], 'flag --strategy needs a value'],
    [['stage', 'nope'], 'unknown stage "nope" (stages: '],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ];
  it.each(cases)('%j names the flag', (args, message) => {
    const r = atkd(args, input);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
    expect(r.stdout.length).toBe(0);
  });

  it('--help for atkd, atkd stage and a stage', () => {
    const top = atkd(['--help']);
    expect(top.code).toBe(0);
    expect(new TextDecoder().decode(top.stdout)).toContain('stage');
    const list = atkd(['stage', '--help']);
    expect(new TextDecoder().decode(list.stdout)).toMatch(/temperature[\s\S]*soft-targets/);
    const nope = atkd(['stage', 'nope']);
    expect(nope.stderr).toMatch(/stages: .*temperature, soft-targets/);
    const one = atkd(['stage', 'temperature', '--help']);
    const text = new TextDecoder().decode(one.stdout);
    for (const name of ['static', 'logit-standardization', 'adaptive', 'adaptive-paired', 'adaptive-teacher', 'ctkd', 'dtkd']) expect(text).toContain(`  ${name}`);
  });
});
