import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  JsonFileError, commitTemp, createAtomicWriteStream, readJson, removeStaleTemps, tempPathFor, writeFileAtomic, writeFileAtomicSync,
  writeJsonAtomicSync,
} from '../src/index.js';

const DEAD = 2 ** 22 + 17; // above Linux's pid_max: no such process

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'atkd-fs-'));
});

describe('atomic writes', () => {
  it('tempPathFor is a hidden name in the same directory that removeStaleTemps recognises', () => {
    const t = tempPathFor(join(dir, 'a.bin'));
    expect(t.startsWith(join(dir, '.a.bin.tmp-'))).toBe(true);
    expect(t).toMatch(new RegExp(`\\.tmp-${process.pid}-[0-9a-f]{8}$`));
    expect(tempPathFor(join(dir, 'a.bin'))).not.toBe(t);
  });

  it('writeFileAtomic and writeFileAtomicSync replace the target and leave no temp file', async () => {
    const p = join(dir, 'x.json');
    writeFileSync(p, 'old');
    await writeFileAtomic(p, 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
    writeFileAtomicSync(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    writeJsonAtomicSync(p, { a: 1 });
    expect(readFileSync(p, 'utf8')).toBe('{\n  "a": 1\n}\n');
    expect(readdirSync(dir)).toEqual(['x.json']);
  });

  it('a failed rename (the target is a directory) removes the temp file and leaves the target as it was', async () => {
    const p = join(dir, 'taken');
    mkdirSync(p);
    writeFileSync(join(p, 'inside'), 'kept');
    await expect(writeFileAtomic(p, 'data')).rejects.toThrow();
    expect(() => writeFileAtomicSync(p, 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(p, 'inside'), 'utf8')).toBe('kept');
  });

  it('commitTemp moves a finished temp file over the target', async () => {
    const p = join(dir, 'f');
    const t = tempPathFor(p);
    writeFileSync(t, 'done');
    await commitTemp(t, p);
    expect(readFileSync(p, 'utf8')).toBe('done');
    expect(existsSync(t)).toBe(false);
  });

  it('a streaming write shows nothing until commit; abort keeps the old file', async () => {
    const p = join(dir, 'out.arrows');
    writeFileSync(p, 'old');
    const w = createAtomicWriteStream(p);
    w.stream.write('part one, ');
    w.stream.write('part two');
    expect(readFileSync(p, 'utf8')).toBe('old');
    await w.commit();
    expect(readFileSync(p, 'utf8')).toBe('part one, part two');
    const a = createAtomicWriteStream(p);
    a.stream.write('half');
    a.abort();
    expect(readFileSync(p, 'utf8')).toBe('part one, part two');
    expect(readdirSync(dir)).toEqual(['out.arrows']);
  });
});

describe('removeStaleTemps', () => {
  it("removes a dead writer's temp files and directories, keeps a live writer's, and keeps .old while it is the only copy", async () => {
    const names = [
      `.train.arrow.tmp-${DEAD}-0123abcd`, // data file of a killed import
      `.latest.tmp-${DEAD}`, // checkpoint directory being assembled
      `.best.old-${DEAD}`, // swapped out, best is back: removable
      `.latest.old-${DEAD}`, // swapped out, latest is missing: the only copy
      `.test.arrow.tmp-${process.ppid}-89abcdef`, // the test runner's parent: alive
      'best',
      'notes.tmp', // not ours
    ];
    for (const n of names) {
      if (n.includes('latest') || n === 'best') mkdirSync(join(dir, n));
      else writeFileSync(join(dir, n), 'x');
    }
    expect((await removeStaleTemps(dir)).sort()).toEqual([`.best.old-${DEAD}`, `.latest.tmp-${DEAD}`, `.train.arrow.tmp-${DEAD}-0123abcd`].sort());
    expect(readdirSync(dir).sort()).toEqual([`.latest.old-${DEAD}`, `.test.arrow.tmp-${process.ppid}-89abcdef`, 'best', 'notes.tmp'].sort());
    expect(await removeStaleTemps(join(dir, 'missing'))).toEqual([]);
  });
});

describe('readJson', () => {
  it('parses, and names the file when it is missing or not JSON (with the caller error class)', () => {
    const p = join(dir, 'config.json');
    writeFileSync(p, '{"epochs": 3}');
    expect(readJson<{ epochs: number }>(p, 'run config').epochs).toBe(3);
    expect(() => readJson(join(dir, 'nope.json'), 'run config')).toThrow(new RegExp(`run config ${join(dir, 'nope.json')} does not exist`));
    writeFileSync(p, '{"epochs": ');
    expect(() => readJson(p, 'run config')).toThrow(JsonFileError);
    expect(() => readJson(p, 'run config')).toThrow(/run config .*config\.json is not valid JSON/);
    class MyError extends Error {}
    expect(() => readJson(p, 'state', (m) => new MyError(m))).toThrow(MyError);
  });
});
