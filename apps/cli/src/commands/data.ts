/**
 * `atkd data`: CIFAR-100 as Arrow (`@atkd/data`): import, fetch, info, sample.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CifarArrowFile, CifarDataError, ProgressBar, defaultDataDir, fetchCifar100, importCifar100, makeSample, sampleDataDir } from '@atkd/data';
import { formatFlags, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec, type ParsedArgs } from '../args.js';
import type { Command, CommandIO } from '../command.js';

const COMMON: Readonly<Record<string, FlagSpec>> = {
  quiet: { short: 'q', value: false, description: 'no progress bar' },
  json: { value: false, description: 'print the result as JSON on stdout' },
  help: { short: 'h', value: false, description: 'show this help' },
};

const SUB: Readonly<Record<string, { usage: string; summary: string; flags: Readonly<Record<string, FlagSpec>> }>> = {
  import: {
    usage: 'atkd data import --from <cifar-100-binary folder | .tar.gz> [--to DIR]',
    summary: 'import the official binary CIFAR-100 (folder or archive) into train.arrow / test.arrow (checked first, written atomically)',
    flags: { from: { description: 'the extracted cifar-100-binary folder, or the .tar.gz', placeholder: 'PATH' }, to: { description: `data directory (default ${defaultDataDir()})`, placeholder: 'DIR' } },
  },
  fetch: {
    usage: 'atkd data fetch [--to DIR] [--url URL] [--md5 HEX] [--keep-archive]',
    summary: 'download the archive (MD5-checked, resumable) and import it',
    flags: {
      to: { description: `data directory (default ${defaultDataDir()})`, placeholder: 'DIR' },
      url: { description: 'archive URL (default the official one)', placeholder: 'URL' },
      md5: { description: 'expected MD5 of the archive', placeholder: 'HEX' },
      'keep-archive': { value: false, description: 'keep the .tar.gz after importing' },
    },
  },
  info: { usage: 'atkd data info [FILE.arrow ...]   (default: the embedded sample)', summary: 'rows, classes and provenance of Arrow data files', flags: {} },
  sample: {
    usage: 'atkd data sample --from <full data> --out DIR [--train-per-class N] [--test-per-class N]',
    summary: 'a stratified subset (the first N images of every fine class), like the embedded sample',
    flags: {
      from: { description: 'the full data: a data directory with train.arrow/test.arrow, or what import takes', placeholder: 'PATH' },
      out: { description: 'output directory', placeholder: 'DIR' },
      'train-per-class': { description: 'training images per class (default 4)', placeholder: 'N' },
      'test-per-class': { description: 'test images per class (default 2)', placeholder: 'N' },
    },
  },
};

function need(args: ParsedArgs, name: string, sub: string): string {
  const v = stringFlag(args, name);
  if (v === undefined) throw new UsageError(`atkd data ${sub}: flag --${name} is required (${SUB[sub].usage})`);
  return v;
}

/** The Arrow files of a data directory (train.arrow, test.arrow); an error naming the directory when it has neither. */
function dataDirFiles(dir: string): string[] {
  const files = ['train.arrow', 'test.arrow'].map((f) => join(dir, f)).filter((f) => existsSync(f));
  if (files.length === 0) throw new CifarDataError(dir, 'is a directory without train.arrow or test.arrow; give a data directory or .arrow files');
  return files;
}

/** File info of an Arrow data file. */
export async function dataInfo(path: string): Promise<Record<string, unknown>> {
  if (!existsSync(path)) throw new CifarDataError(path, 'no such file');
  // opening checks every label and every record batch's checksum
  const f = await CifarArrowFile.open(path);
  try {
    const perClass = new Array<number>(100).fill(0);
    for (const y of f.fine) perClass[y] += 1;
    return {
      path,
      split: f.meta.split,
      rows: f.numRows,
      fineClasses: f.meta.fineLabelNames.length,
      coarseClasses: f.meta.coarseLabelNames.length,
      perFineClass: { min: Math.min(...perClass), max: Math.max(...perClass) },
      source: f.meta.source,
      sample: f.meta.sample ?? null,
      checksums: f.checksums,
    };
  } finally {
    await f.close();
  }
}

async function runSub(sub: string, args: ParsedArgs, io: CommandIO): Promise<number> {
  const quiet = args.flags.has('quiet') || args.flags.has('json');
  const json = args.flags.has('json');
  const print = (value: unknown, text: string) => io.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
  switch (sub) {
    case 'import': {
      const bar = new ProgressBar('import', 0, { quiet, stream: io.stderr as NodeJS.WritableStream });
      const r = await importCifar100({
        from: need(args, 'from', sub),
        to: stringFlag(args, 'to'),
        onProgress: (p) => bar.update(p.phase === 'check' ? p.bytes : p.totalBytes + p.bytes, { total: 2 * p.totalBytes }),
      });
      bar.finish();
      print({ dir: r.dir, files: r.files, rows: { train: r.meta.train.source.records, test: r.meta.test.source.records } }, `wrote ${r.files.train} (${r.meta.train.source.records} rows) and ${r.files.test} (${r.meta.test.source.records} rows)`);
      return 0;
    }
    case 'fetch': {
      const md5 = stringFlag(args, 'md5');
      if (md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(md5)) throw new UsageError(`atkd data fetch: flag --md5 must be 32 hex digits, got ${JSON.stringify(md5)}`);
      const r = await fetchCifar100({ url: stringFlag(args, 'url'), to: stringFlag(args, 'to'), md5: stringFlag(args, 'md5'), keepArchive: args.flags.has('keep-archive'), quiet, progressStream: io.stderr as NodeJS.WritableStream });
      print({ dir: r.dir, files: r.files, downloadedBytes: r.downloadedBytes, resumed: r.resumed }, `wrote ${r.files.train} and ${r.files.test} (${(r.downloadedBytes / 1e6).toFixed(1)} MB downloaded${r.resumed ? ', resumed' : ''})`);
      return 0;
    }
    case 'info': {
      const given = args.positionals.length > 0 ? args.positionals : [sampleDataDir()];
      // a data directory stands for its train.arrow and test.arrow
      const files = given.flatMap((p) => (existsSync(p) && statSync(p).isDirectory() ? dataDirFiles(p) : [p]));
      const infos = [];
      for (const f of files) infos.push(await dataInfo(f));
      print(
        infos,
        infos
          .map((i) => `${String(i.path)}: ${String(i.split)} split, ${String(i.rows)} rows, ${String(i.fineClasses)} fine / ${String(i.coarseClasses)} coarse classes, ${(i.perFineClass as { min: number; max: number }).min}..${(i.perFineClass as { min: number; max: number }).max} per fine class${i.sample ? `, sample: ${JSON.stringify(i.sample)}` : ''}\n  source ${JSON.stringify(i.source)}\n  checksums: ${i.checksums === 'verified' ? 'verified (every record batch)' : 'none recorded (written by an older atkd; import it again to add them)'}`)
          .join('\n'),
      );
      return 0;
    }
    case 'sample': {
      const out = need(args, 'out', sub);
      const counts = await makeSample({
        from: need(args, 'from', sub),
        out,
        trainPerClass: intFlag(args, 'train-per-class', 'atkd data sample', 1, 500) ?? 4,
        testPerClass: intFlag(args, 'test-per-class', 'atkd data sample', 1, 100) ?? 2,
      });
      print({ out, rows: counts }, `wrote ${join(out, 'train.arrow')} (${counts.train} rows) and ${join(out, 'test.arrow')} (${counts.test} rows)`);
      return 0;
    }
  }
  return 2;
}

function usage(): string {
  return ['Usage: atkd data <import | fetch | info | sample> [flags]', '', ...Object.entries(SUB).map(([k, s]) => `  ${k.padEnd(7)} ${s.summary}\n          ${s.usage}`), '', `Data directory default: ${defaultDataDir()} ($ATKD_DATA_DIR).`].join('\n');
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'CIFAR-100 as Arrow: import, fetch, info, sample',
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      (sub === undefined ? io.stderr : io.stdout).write(`${usage()}\n`);
      return sub === undefined ? 2 : 0;
    }
    const def = SUB[sub];
    if (def === undefined) throw new UsageError(`atkd data: unknown subcommand "${sub}" (known: ${Object.keys(SUB).join(', ')})`);
    const flags = { ...def.flags, ...COMMON };
    const args = parseArgs(rest, flags, `atkd data ${sub}`);
    if (args.flags.has('help')) {
      io.stdout.write(`Usage: ${def.usage}\n\n${def.summary}\n\nFlags:\n${formatFlags(flags)}\n`);
      return 0;
    }
    if (sub !== 'info' && args.positionals.length > 0) throw new UsageError(`atkd data ${sub}: unexpected argument ${JSON.stringify(args.positionals[0])}`);
    try {
      return await runSub(sub, args, io);
    } catch (error) {
      if (error instanceof CifarDataError) throw new Error(`atkd data ${sub}: ${error.message}`, { cause: error });
      throw error;
    }
  },
};
