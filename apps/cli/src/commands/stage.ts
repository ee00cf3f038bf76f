import { createReadStream, createWriteStream, existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { runIpcFilter, type ByteSource } from '@atkd/columns';
import { ProgressBar } from '@atkd/data';
import { createAtomicWriteStream } from '@atkd/fs';
import type { Writable } from 'node:stream';
import { formatFlags, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { getStage, stages, type StageDefinition } from '../stages/index.js';

const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  input: { short: 'i', description: 'read the Arrow IPC stream from FILE instead of stdin', placeholder: 'FILE' },
  output: { short: 'o', description: 'write to FILE instead of stdout (a regular file atomically: temp file + rename; a FIFO or device written through; a symlink followed)', placeholder: 'FILE' },
  progress: { value: false, description: 'report progress on stderr even when it is not a terminal' },
  quiet: { short: 'q', value: false, description: 'no progress on stderr' },
  help: { short: 'h', value: false, description: 'show this help' },
};

/**
 * Progress on stderr (a terminal, or --progress): with --input FILE a bar over the file's bytes with
 * rows/s and ETA; on stdin (size unknown) a running count of batches, rows and rows/s.
 */
function makeProgress(io: CommandIO, label: string, enabled: boolean, file?: { path: string; bytes: number; stream: { bytesRead: number } }): { onBatch: (s: { batches: number; rows: number }) => void; finish: () => void } {
  if (!enabled) return { onBatch: () => undefined, finish: () => undefined };
  const stream = io.stderr as Writable & { isTTY?: boolean };
  if (file !== undefined) {
    const kib = (n: number) => Math.ceil(n / 1024);
    const bar = new ProgressBar(label, kib(file.bytes), { stream, unit: 'KiB', rateUnit: 'rows/s' });
    return {
      onBatch: (s) => bar.update(Math.min(kib(file.stream.bytesRead), kib(file.bytes)), { work: s.rows, extra: `${s.batches} batches` }),
      finish: () => {
        bar.update(kib(file.bytes));
        bar.finish();
      },
    };
  }
  const t0 = performance.now();
  let last = -Infinity;
  let line = '';
  const draw = (s: { batches: number; rows: number }) => {
    const sec = (performance.now() - t0) / 1000;
    line = `${label}: ${s.batches} batches, ${s.rows} rows, ${sec > 0 ? (s.rows / sec).toFixed(0) : '--'} rows/s`;
    stream.write(stream.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  let lastSummary = { batches: 0, rows: 0 };
  return {
    onBatch: (s) => {
      lastSummary = s;
      const t = performance.now();
      if (t - last < (stream.isTTY ? 100 : 5000)) return;
      last = t;
      draw(s);
    },
    finish: () => {
      draw(lastSummary);
      if (stream.isTTY) stream.write('\n');
    },
  };
}

function stageListHelp(): string {
  const w = Math.max(...stages().map((s) => s.name.length));
  return [
    'Usage: atkd stage <name> [flags] < in.arrows > out.arrows',
    '',
    'Runs one distillation stage as a Unix filter: reads an Arrow IPC stream on stdin, writes it on',
    'stdout with the stage\'s columns added (every other column passed through).',
    '',
    'Stages:',
    ...stages().map((s) => `  ${s.name.padEnd(w)}  ${s.summary}`),
    '',
    'Run `atkd stage <name> --help` for a stage\'s flags. Example:',
    '  atkd stage temperature --strategy adaptive < logits.arrows | atkd stage soft-targets --order 2 > out.arrows',
  ].join('\n');
}

function stageHelp(stage: StageDefinition): string {
  const parts = [`Usage: atkd stage ${stage.usage}`, '', stage.summary, '', 'Flags:', formatFlags({ ...stage.flags, ...COMMON_FLAGS })];
  if (stage.details) parts.push('', stage.details());
  return parts.join('\n');
}

function write(stream: Writable, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Where `--output PATH` writes: a symlink is followed (to the file it names, which may not exist
 * yet); an existing FIFO, device or socket is written through (`through: true`: opened and written in
 * place, as `> PATH` would); anything else is a regular file, replaced atomically (temp file + rename).
 */
export function outputTarget(path: string): { path: string; through: boolean } {
  let at = path;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = lstatSync(at);
    } catch {
      return { path: at, through: false }; // does not exist (yet): a new regular file
    }
    if (st.isSymbolicLink()) {
      at = resolve(dirname(at), readlinkSync(at));
      continue;
    }
    if (st.isDirectory()) throw new UsageError(`flag --output: ${path} is a directory`);
    return { path: at, through: !st.isFile() };
  }
  throw new UsageError(`flag --output: ${path}: too many levels of symbolic links`);
}

/**
 * Runs the filter into `outputPath`: a regular file is written atomically (`createAtomicWriteStream` of
 * `@atkd/fs`: temp file in the same directory, fsynced, then renamed over it); a FIFO or device is written through; a symlink is followed.
 */
async function runToFile(input: ByteSource, run: Parameters<typeof runIpcFilter>[1], outputPath: string, options: Parameters<typeof runIpcFilter>[3]): Promise<void> {
  const target = outputTarget(outputPath);
  if (target.through) {
    const out = createWriteStream(target.path, { flags: 'w' });
    try {
      await runIpcFilter(input, run, out, { ...options, sink: outputPath });
      out.end();
      await finished(out);
    } catch (e) {
      out.destroy();
      throw e;
    }
    return;
  }
  const dir = dirname(target.path);
  if (!existsSync(dir)) throw new UsageError(`flag --output: directory ${dir} does not exist`);
  const out = createAtomicWriteStream(target.path);
  // Interrupted (Ctrl-C, kill): leave no half-written file behind; an existing output stays as it was.
  const onSignal = (signal: NodeJS.Signals) => {
    out.abort();
    process.stderr.write(`\natkd stage: interrupted (${signal}); ${outputPath} not written\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runIpcFilter(input, run, out.stream, { ...options, sink: outputPath });
    await out.commit();
  } catch (e) {
    out.abort();
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const stageCommand: Command = {
  name: 'stage',
  summary: 'run a distillation stage as a Unix filter over Arrow IPC streams (temperature, soft-targets, ...)',
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      write(name === undefined ? io.stderr : io.stdout, stageListHelp());
      return name === undefined ? 2 : 0;
    }
    const stage = getStage(name);
    if (stage === undefined) {
      throw new UsageError(`atkd stage: unknown stage "${name}" (stages: ${stages().map((s) => s.name).join(', ')})`);
    }
    const context = `atkd stage ${name}`;
    const args = parseArgs(rest, { ...stage.flags, ...COMMON_FLAGS }, context);
    if (args.flags.has('help')) {
      write(io.stdout, stageHelp(stage));
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`${context}: unexpected argument "${args.positionals[0]}" (input comes on stdin or --input FILE)`);
    const inputPath = stringFlag(args, 'input');
    let input: ByteSource;
    let source = 'stdin';
    let file: { path: string; bytes: number; stream: { bytesRead: number } } | undefined;
    if (inputPath !== undefined) {
      let st;
      try {
        st = statSync(inputPath);
      } catch {
        throw new UsageError(`${context}: flag --input: file ${inputPath} does not exist`);
      }
      if (!st.isFile()) throw new UsageError(`${context}: flag --input: ${inputPath} is not a file`);
      const stream = createReadStream(inputPath);
      input = stream;
      source = inputPath;
      file = { path: inputPath, bytes: st.size, stream };
    } else {
      if (io.stdin.isTTY) throw new UsageError(`${context}: stdin is a terminal; pipe an Arrow IPC stream in (atkd stage ${name} < in.arrows > out.arrows) or use --input FILE`);
      input = io.stdin;
    }
    const run = await stage.create(args, context, source);
    const showProgress = !args.flags.has('quiet') && (args.flags.has('progress') || (io.stderr as { isTTY?: boolean }).isTTY === true);
    const progress = makeProgress(io, context, showProgress, file);
    const options = { source, emptySchema: run.emptySchema, onBatch: progress.onBatch };
    try {
      const outputPath = stringFlag(args, 'output');
      if (outputPath !== undefined) await runToFile(input, run.operator, outputPath, options);
      else await runIpcFilter(input, run.operator, io.stdout, options);
      progress.finish();
    } finally {
      await run.close?.();
    }
    return 0;
  },
};
