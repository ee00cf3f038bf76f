/**
 * The embedded sample: a small stratified subset of CIFAR-100 in the same Arrow format, made from the
 * full data by `makeSample` (the `nx run data:sample` target) and committed under `libs/data/sample/`.
 */
import { mkdtemp, mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CifarArrowFile, writeCifarArrow } from './arrow-io.js';
import { CifarDataError } from './errors.js';
import { importCifar100 } from './import.js';
import { splitFile } from './paths.js';
import { cifarSchema, FINE_CLASSES, IMAGE_BYTES, ROWS_PER_RECORD_BATCH, type CifarMeta, type Split } from './schema.js';

export interface SampleOptions {
  /** The full data: a folder with `train.arrow`/`test.arrow`, or anything {@link importCifar100} takes. */
  from: string;
  /** Output directory (created if missing). */
  out: string;
  /** Rows per fine class from the training split (default 4). */
  trainPerClass?: number;
  /** Rows per fine class from the test split (default 2). */
  testPerClass?: number;
  /** The command line recorded in the metadata (default: the CLI command with these options). */
  command?: string;
}

/** The first `perClass` rows of every fine class, in file order (deterministic, stratified). */
export function stratifiedRows(fine: Uint8Array, perClass: number): Uint32Array {
  const taken = new Uint32Array(FINE_CLASSES);
  const rows: number[] = [];
  for (let r = 0; r < fine.length; r++) {
    if (taken[fine[r]] < perClass) {
      taken[fine[r]] += 1;
      rows.push(r);
    }
  }
  for (let c = 0; c < FINE_CLASSES; c++) {
    if (taken[c] < perClass) throw new RangeError(`fine class ${c} has only ${taken[c]} rows, ${perClass} wanted`);
  }
  return Uint32Array.from(rows);
}

async function writeSubset(source: CifarArrowFile, target: string, perClass: number, command: string): Promise<number> {
  const rows = stratifiedRows(source.fine, perClass);
  const n = rows.length;
  const images = new Uint8Array(n * IMAGE_BYTES);
  source.readImagesSync(rows, images);
  const pick = <T extends Uint8Array | Uint32Array>(col: T, make: (n: number) => T): T => {
    const out = make(n);
    for (let i = 0; i < n; i++) out[i] = col[rows[i]];
    return out;
  };
  const meta: CifarMeta = {
    ...source.meta,
    sample: {
      perClass,
      rule: `the first ${perClass} rows of every fine class in the official order of ${source.meta.source.file}; the index column keeps each row's record index in the full file`,
      command,
    },
  };
  const cols = { length: n, indices: pick(source.indices, (k) => new Uint32Array(k)), images, fine: pick(source.fine, (k) => new Uint8Array(k)), coarse: pick(source.coarse, (k) => new Uint8Array(k)) };
  const batches = [];
  for (let s = 0; s < n; s += ROWS_PER_RECORD_BATCH) {
    const e = Math.min(n, s + ROWS_PER_RECORD_BATCH);
    batches.push({ length: e - s, indices: cols.indices.subarray(s, e), images: images.subarray(s * IMAGE_BYTES, e * IMAGE_BYTES), fine: cols.fine.subarray(s, e), coarse: cols.coarse.subarray(s, e) });
  }
  await writeCifarArrow(target, cifarSchema(meta), batches);
  return n;
}

/** Makes the sample: `out/train.arrow` and `out/test.arrow`. Returns the row counts. */
export async function makeSample(options: SampleOptions): Promise<Record<Split, number>> {
  const trainPerClass = options.trainPerClass ?? 4;
  const testPerClass = options.testPerClass ?? 2;
  const command =
    options.command ??
    `node libs/data/dist/cli.js sample --from <full CIFAR-100> --out <dir> --train-per-class ${trainPerClass} --test-per-class ${testPerClass} (nx run data:sample)`;
  let dataDir = options.from;
  let temp: string | undefined;
  const hasArrow = await stat(splitFile(options.from, 'train')).then((s) => s.isFile(), () => false);
  try {
    if (!hasArrow) {
      temp = await mkdtemp(join(tmpdir(), 'atkd-sample-'));
      await importCifar100({ from: options.from, to: temp });
      dataDir = temp;
    }
    await mkdir(options.out, { recursive: true });
    const counts = {} as Record<Split, number>;
    for (const [split, k] of [['train', trainPerClass], ['test', testPerClass]] as const) {
      const f = await CifarArrowFile.open(splitFile(dataDir, split));
      try {
        if (f.meta.sample) throw new CifarDataError(f.path, 'is already a sample; make samples from the full data');
        counts[split] = await writeSubset(f, splitFile(options.out, split), k, command);
      } finally {
        await f.close();
      }
    }
    return counts;
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}
