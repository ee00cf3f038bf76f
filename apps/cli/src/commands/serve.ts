/**
 * `atkd serve <stage>`: a distillation stage as a stateless NATS JetStream service (see
 * `startStageService` of @atkd/jetstream): batches from --from, the stage's columns added, to --to.
 * Start more of them for more speed: they share one durable consumer. The stage flags are those of
 * `atkd stage <stage>`.
 */
import { startStageService } from '@atkd/jetstream';
import { formatFlags, intFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { AHEAD_FLAGS, NATS_FLAGS, aheadOption, connectNats, natsOptions, redactUrl, roomWaitLogger, untilSignal } from '../lib/nats.js';
import { getStage, type StageDefinition } from '../stages/index.js';

const SERVABLE = ['teacher', 'temperature', 'soft-targets'];

const SERVE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...NATS_FLAGS,
  from: { description: 'stream to read batches from', placeholder: 'STREAM' },
  to: { description: 'stream to publish the results to', placeholder: 'STREAM' },
  consumer: { description: 'durable consumer on --from shared by every instance (default atkd-<stage>-<to>)', placeholder: 'NAME' },
  'in-flight': { description: 'batches one instance holds at most (default 2)', placeholder: 'N' },
  'max-ack-pending': { description: 'unacknowledged batches across all instances (default 16)', placeholder: 'N' },
  'ack-wait': { description: 'seconds before a batch held by a dead instance goes to another (default 30)', placeholder: 'S' },
  ...AHEAD_FLAGS,
  quiet: { short: 'q', value: false, description: 'no progress lines on stderr' },
  help: { short: 'h', value: false, description: 'show this help' },
};

function help(stage?: StageDefinition): string {
  const lines = [
    `Usage: atkd serve ${stage?.name ?? '<teacher|temperature|soft-targets>'} --nats URL --from STREAM --to STREAM [flags]${stage ? ' [stage flags]' : ''}`,
    '',
    'Runs a stage as a NATS JetStream service: pulls batches from --from through a shared durable',
    'consumer, adds the stage\'s columns, publishes to --to with the same epoch/step/message id, acks.',
    'Stateless: start more instances to go faster, kill any; nothing is lost or repeated.',
    `Also answers requests on atkd.<stage> (Arrow IPC in, Arrow IPC out) and $SRV.PING|INFO|STATS.atkd-<stage>.`,
    '',
    'Flags:',
    formatFlags(SERVE_FLAGS),
  ];
  if (stage !== undefined) lines.push('', `Stage flags (as for atkd stage ${stage.name}):`, formatFlags(stage.flags));
  return lines.join('\n');
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a stage (teacher, temperature, soft-targets) as a NATS JetStream service',
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h') {
      (name === undefined ? io.stderr : io.stdout).write(`${help()}\n`);
      return name === undefined ? 2 : 0;
    }
    const stage = getStage(name);
    if (stage === undefined || !SERVABLE.includes(name)) throw new UsageError(`atkd serve: unknown stage "${name}" (stages: ${SERVABLE.join(', ')})`);
    const context = `atkd serve ${name}`;
    const args = parseArgs(rest, { ...stage.flags, ...SERVE_FLAGS }, context);
    if (args.flags.has('help')) {
      io.stdout.write(`${help(stage)}\n`);
      return 0;
    }
    if (args.positionals.length > 0) throw new UsageError(`${context}: unexpected argument "${args.positionals[0]}"`);
    const from = stringFlag(args, 'from');
    const to = stringFlag(args, 'to');
    if (from === undefined || to === undefined) throw new UsageError(`${context}: flags --from STREAM and --to STREAM are required`);
    if (from === to) throw new UsageError(`${context}: --from and --to must be different streams`);
    const ahead = aheadOption(args, context);
    const opts = natsOptions(args, context, `atkd-serve-${name}`);
    const quiet = args.flags.has('quiet');
    const log = (line: string) => void io.stderr.write(`${line}\n`);

    const run = await stage.create(args, context);
    const nc = await connectNats(opts);
    try {
      let last = 0;
      const t0 = performance.now();
      const service = await startStageService(nc, {
        stage: name,
        operator: run.operator,
        from,
        to,
        consumer: stringFlag(args, 'consumer'),
        inFlight: intFlag(args, 'in-flight', context, 1, 1024),
        maxAckPending: intFlag(args, 'max-ack-pending', context, 1, 1_000_000),
        ackWaitMs: (intFlag(args, 'ack-wait', context, 1, 86_400) ?? 30) * 1000,
        throttle: ahead,
        onRoomWait: roomWaitLogger(context, log, quiet),
        log,
        onBatch: (s) => {
          const now = performance.now();
          if (quiet || now - last < 5000) return;
          last = now;
          log(`${context}: ${s.batches} batches, ${s.rows} rows, ${((s.rows * 1000) / (now - t0)).toFixed(0)} rows/s, ${s.duplicates} duplicates, ${s.redeliveries} redeliveries, ${s.deadLetters} dead letters`);
        },
      });
      log(`${context}: ready: ${from} -> ${to} (consumer ${service.consumer}) on ${redactUrl(opts.url)}; requests on atkd.${name}`);
      const signal = await untilSignal(service.done);
      await service.stop();
      const s = service.stats;
      log(`${context}: ${signal !== null ? `stopped (${signal})` : 'stopped'}: ${s.batches} batches, ${s.rows} rows, ${s.duplicates} duplicates, ${s.redeliveries} redeliveries, ${s.deadLetters} dead letters, ${s.requests} requests`);
      return 0;
    } finally {
      await nc.drain().catch(() => nc.close());
      await run.close?.();
    }
  },
};
