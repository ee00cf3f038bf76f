// A slow student: the memory (RSS) of an `atkd serve teacher` process and the streams' pending
// counts stay bounded while the student takes its time (a real nats-server on a free loopback port).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchSource, connectNats, ensureBatchStream, ensureConsumer, jetstream, jetstreamManager } from '@atkd/jetstream';
import { startNatsServer, type NatsServer } from '@atkd/jetstream/testing';
import { concatMap, lastValueFrom, take, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { killSpawned, spawnAtkd } from './nats-processes.js';
import { ROOT, atkd } from './run-cli.js';

const EMBEDDED = join(ROOT, 'apps', 'cli', 'assets', 'teacher-resnet20.pth');
let server: NatsServer | undefined;
afterAll(async () => {
  killSpawned();
  await server?.stop();
});

/** Resident set size of process `pid` in bytes (Linux /proc). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

const MB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

describe('a slow student', () => {
  it('keeps the teacher service\'s RSS flat and the pending counts at --max-ahead / --in-flight', async () => {
    server = await startNatsServer();
    // 160 batches of 100 images (~300 KB of pixels each, ~48 MB in all) wait in RAW from the start
    const BATCHES = 160;
    const feed = atkd(['feed', '--nats', server.url, '--to', 'M_RAW', '--epochs', '40', '--batch-size', '100', '--augment', 'false', '--quiet']);
    expect(feed.code, feed.stderr).toBe(0);
    expect(feed.stderr).toMatch(new RegExp(`${BATCHES} batches published to M_RAW`));
    const nc = await connectNats({ url: server.url });
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    try {
      const rawBytes = (await jsm.streams.info('M_RAW')).state.bytes;
      const perBatch = rawBytes / BATCHES;
      expect(perBatch).toBeGreaterThan(290_000);
      await ensureBatchStream(jsm, 'M_LOGITS');
      await ensureConsumer(jsm, 'M_LOGITS', 'slow', { maxAckPending: 2 });
      const serve = spawnAtkd(['serve', 'teacher', '--nats', server.url, '--from', 'M_RAW', '--to', 'M_LOGITS', '--teacher', EMBEDDED, '--arch', 'resnet20', '--in-flight', '2', '--max-ahead', '4', '--ahead-of', 'slow'], /ready:/, { NODE_OPTIONS: '--expose-gc', ATKD_STATS_GC: '1' });
      await serve.ready;
      const pid = serve.child.pid as number;

      // the student: one batch at a time, 450 ms each (slower than the teacher service: ~300 img/s here)
      const samples: { done: number; rss: number }[] = [];
      const live: { done: number; bytes: number }[] = []; // heap + external after a full GC, from $SRV.STATS
      let done = 0;
      let maxLogitsPending = 0;
      let maxServiceHeld = 0;
      let maxServiceAhead = 0;
      const sample = setInterval(() => {
        try {
          samples.push({ done, rss: rssOf(pid) });
        } catch {
          // exited
        }
        const at = done;
        void nc.request('$SRV.STATS.atkd-teacher', undefined, { timeout: 2000 }).then(
          (m) => {
            const d = (JSON.parse(new TextDecoder().decode(m.data)) as { endpoints: { data: { heapUsedBytes: number; externalBytes: number } }[] }).endpoints[0].data;
            live.push({ done: at, bytes: d.heapUsedBytes + d.externalBytes });
          },
          () => undefined,
        );
        void jsm.consumers.info('M_LOGITS', 'slow').then((i) => (maxLogitsPending = Math.max(maxLogitsPending, i.num_pending + i.num_ack_pending)), () => undefined);
        void jsm.consumers.info('M_RAW', 'atkd-teacher-M_LOGITS').then(
          (i) => {
            maxServiceHeld = Math.max(maxServiceHeld, i.num_ack_pending);
            // batches the service took from RAW beyond those the student has done
            maxServiceAhead = Math.max(maxServiceAhead, BATCHES - i.num_pending - done);
          },
          () => undefined,
        );
      }, 400);
      const STUDENT = 80;
      const steps = await lastValueFrom(
        batchSource(js, { stream: 'M_LOGITS', consumer: 'slow', inFlight: 1 }).pipe(
          take(STUDENT),
          concatMap(async (d) => {
            await new Promise((r) => setTimeout(r, 450));
            d.ack();
            done++;
            return d.step;
          }),
          toArray(),
        ),
      );
      clearInterval(sample);
      expect(new Set(steps).size).toBe(STUDENT);

      // $SRV.STATS carries the service's own memory figures
      const stats = JSON.parse(new TextDecoder().decode((await nc.request('$SRV.STATS.atkd-teacher', undefined, { timeout: 5000 })).data)) as { endpoints: { data: { rssBytes: number; heapUsedBytes: number; externalBytes: number; batches: number } }[] };
      const own = stats.endpoints[0].data;
      expect(own.batches).toBeGreaterThanOrEqual(STUDENT);
      expect(own.rssBytes).toBeGreaterThan(50 * MB);
      expect(own.heapUsedBytes).toBeGreaterThan(0);
      expect(own.externalBytes).toBeGreaterThan(0);

      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);

      // pending counts: at most --max-ahead (+ the batches one service has in hand) ahead of the student;
      // the service holds at most --in-flight; the rest waits in the stream, not in the service
      expect(maxLogitsPending).toBeLessThanOrEqual(4 + 2);
      expect(maxLogitsPending, 'the student was the slow one: the throttle held the service back').toBeGreaterThanOrEqual(4);
      expect(maxServiceHeld).toBeLessThanOrEqual(2);
      expect(maxServiceAhead).toBeLessThanOrEqual(4 + 2 + 2 + 1); // max-ahead + the student's 2 unacked + in-flight + a sample's skew

      // Between the student's batches 15-25 (kernels, buffers, heap at their working size) and its last
      // 10 the service processed ~55 more batches of ~300 KB: keeping one input batch per message would
      // add ~17 MB of live memory (input and output: ~35 MB), pulling RAW ahead up to its ~48 MB.
      const window = <T extends { done: number }>(xs: T[], f: (x: T) => number, lo: number, hi: number) => median(xs.filter((x) => x.done >= lo && x.done < hi).map(f));
      const leakFloor = (55 * perBatch) / MB;
      expect(leakFloor).toBeGreaterThan(16);
      // live memory (V8 heap + Arrow buffers after a full GC; measured: 43-49 MB throughout): allowed 8 MB
      const liveBase = window(live, (x) => x.bytes, 15, 25);
      const liveLate = window(live, (x) => x.bytes, STUDENT - 10, Infinity);
      expect((liveLate - liveBase) / MB, `live ${(liveBase / MB).toFixed(1)} MB at batches 15-25, ${(liveLate / MB).toFixed(1)} MB at the last 10`).toBeLessThan(8);
      // RSS (what the OS sees; moved by +-20 MB with GC and libtorch's allocator, +15 MB between the windows
      // in one run without a leak, +25 MB with one input batch kept per message): a generous 35 MB
      const base = window(samples, (x) => x.rss, 15, 25);
      const late = window(samples, (x) => x.rss, STUDENT - 10, Infinity);
      const peak = Math.max(...samples.filter((x) => x.done >= 15).map((x) => x.rss));
      expect((late - base) / MB, `RSS ${(base / MB).toFixed(1)} MB at batches 15-25, ${(late / MB).toFixed(1)} MB at the last 10, peak ${(peak / MB).toFixed(1)} MB`).toBeLessThan(35);
      expect((peak - base) / MB).toBeLessThan(80);
    } finally {
      await nc.close();
    }
  }, 240_000); // ~40 s of a slow student plus start-up; more on a loaded machine
});
