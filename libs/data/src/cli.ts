#!/usr/bin/env node
/**
 * The `@atkd/data` command line: `node libs/data/dist/cli.js <command> [flags]`.
 *
 *   import --from <folder|archive> [--to <dir>] [--quiet]
 *   fetch [--url <url>] [--to <dir>] [--md5 <hex>] [--keep-archive] [--quiet]
 *   sample --from <folder|archive|data dir> --out <dir> [--train-per-class 4] [--test-per-class 2]
 *   info <file.arrow>...
 */
import { pathToFileURL } from 'node:url';
import { CifarArrowFile } from './arrow-io.js';
import { CifarDataError } from './errors.js';
import { fetchCifar100 } from './fetch.js';
import { importCifar100 } from './import.js';
import { defaultDataDir } from './paths.js';
import { ProgressBar } from './progress.js';
import { makeSample } from './sample.js';

const USAGE = `usage: node libs/data/dist/cli.js <command> [flags]
  import --from <folder|cifar-100-binary.tar.gz> [--to <dir>] [--quiet]
  fetch  [--url <url>] [--to <dir>] [--md5 <hex>] [--keep-archive] [--quiet]
  sample --from <folder|archive|data dir> --out <dir> [--train-per-class 4] [--test-per-class 2]
  info   <file.arrow>...
The data directory defaults to ${defaultDataDir()} ($ATKD_DATA_DIR, else $XDG_CACHE_HOME/atkd/cifar-100).`;

class UsageError extends Error {}

type Spec = Record<string, 'string' | 'flag'>;

export function parseFlags(args: string[], spec: Spec): { flags: Record<string, string | boolean>; rest: string[] } {
  const flags: Record<string, string | boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown flag --${name}`);
    if (kind === 'flag') flags[name] = true;
    else {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`flag --${name} needs a value`);
      flags[name] = v;
    }
  }
  return { flags, rest };
}

function perClass(flags: Record<string, string | boolean>, name: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`flag --${name} must be a positive integer, got ${String(v)}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'import': {
        const { flags } = parseFlags(args, { from: 'string', to: 'string', quiet: 'flag' });
        if (typeof flags.from !== 'string') throw new UsageError('import needs --from <folder or .tar.gz>');
        const bar = new ProgressBar('import', 0, { quiet: Boolean(flags.quiet) });
        const r = await importCifar100({
          from: flags.from,
          to: typeof flags.to === 'string' ? flags.to : undefined,
          onProgress: (p) => bar.update(p.phase === 'check' ? p.bytes : p.totalBytes + p.bytes, { total: 2 * p.totalBytes }),
        });
        bar.finish();
        console.log(`wrote ${r.files.train} (${r.meta.train.source.records} rows) and ${r.files.test} (${r.meta.test.source.records} rows)`);
        return 0;
      }
      case 'fetch': {
        const { flags } = parseFlags(args, { url: 'string', to: 'string', md5: 'string', 'keep-archive': 'flag', quiet: 'flag' });
        const r = await fetchCifar100({
          url: typeof flags.url === 'string' ? flags.url : undefined,
          to: typeof flags.to === 'string' ? flags.to : undefined,
          md5: typeof flags.md5 === 'string' ? flags.md5 : undefined,
          keepArchive: Boolean(flags['keep-archive']),
          quiet: Boolean(flags.quiet),
        });
        console.log(`wrote ${r.files.train} and ${r.files.test}`);
        return 0;
      }
      case 'sample': {
        const { flags } = parseFlags(args, { from: 'string', out: 'string', 'train-per-class': 'string', 'test-per-class': 'string' });
        if (typeof flags.from !== 'string' || typeof flags.out !== 'string') throw new UsageError('sample needs --from <full data> and --out <dir>');
        const trainPerClass = perClass(flags, 'train-per-class') ?? 4;
        const testPerClass = perClass(flags, 'test-per-class') ?? 2;
        const counts = await makeSample({
          from: flags.from,
          out: flags.out,
          trainPerClass,
          testPerClass,
        });
        console.log(`wrote ${flags.out}/train.arrow (${counts.train} rows) and ${flags.out}/test.arrow (${counts.test} rows)`);
        return 0;
      }
      case 'info': {
        if (args.length === 0) throw new UsageError('info needs at least one .arrow file');
        for (const path of args) {
          const f = await CifarArrowFile.open(path);
          await f.close();
          console.log(JSON.stringify({ path, rows: f.numRows, ...f.meta, fineLabelNames: `${f.meta.fineLabelNames.length} names`, coarseLabelNames: `${f.meta.coarseLabelNames.length} names` }, null, 2));
        }
        return 0;
      }
      case undefined:
      case '-h':
      case '--help':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof CifarDataError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
