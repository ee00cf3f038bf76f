// concatMapBatch in virtual time (rxjs TestScheduler): each value is held from the frame it arrives
// (also while it waits in concatMap's buffer) until its inner Observable completes, errors or is
// unsubscribed; results stay in arrival order; errors and unsubscribes reach the source.
import { catchError, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { concatMapBatch, type Holdable } from '../src/index.js';

type Named = Holdable & { name: string };

/** A value that logs `name+frame` when held and `name-frame` when released, on the scheduler's clock. */
function holdables(scheduler: TestScheduler, log: string[], names: string[]): Record<string, Named> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        name,
        hold: () => {
          log.push(`${name}+${scheduler.now()}`);
          return () => log.push(`${name}-${scheduler.now()}`);
        },
      },
    ]),
  );
}

describe('concatMapBatch (marble tests, virtual time)', () => {
  it('ORDER: results in arrival order, one inner at a time; each value held from arrival to the end of its inner', () => {
    const log: string[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = holdables(scheduler, log, ['a', 'b', 'c']);
      const src = cold<Named>('-ab-c|', v);
      // each inner takes 2 frames and emits the value's name at its end: a runs 1-3, b 3-5, c 5-7
      const out = src.pipe(concatMapBatch((x) => cold('--(x|)', { x: x.name })));
      expectObservable(out).toBe('---a-b-(c|)', { a: 'a', b: 'b', c: 'c' });
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
    // b and c are held while they wait in concatMap's buffer (from 2 and 4), released when their inner completes
    expect(log).toEqual(['a+1', 'b+2', 'a-3', 'c+4', 'b-5', 'c-7']);
  });

  it('ERROR: an inner error is forwarded at its frame and releases the value whose inner failed and those waiting', () => {
    const log: string[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = holdables(scheduler, log, ['a', 'b', 'c']);
      const src = cold<Named>('-a-bc---|', v);
      const project = (x: Named): Observable<string> => (x.name === 'b' ? cold('--#', undefined, new Error('bad b')) : cold('-(x|)', { x: x.name }));
      const out = src.pipe(concatMapBatch(project), catchError((e: Error) => of(e.message)));
      expectObservable(out).toBe('--a--(e|)', { a: 'a', e: 'bad b' });
      expectSubscriptions(src.subscriptions).toBe('^----!');
    });
    // c, waiting behind b, is released when b's error ends the stream
    expect(log).toEqual(['a+1', 'a-2', 'b+3', 'c+4', 'c-5', 'b-5']);
  });

  it('ERROR: a project that throws synchronously errors too, and still releases its value', () => {
    const log: string[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const v = holdables(scheduler, log, ['a']);
      const out = cold<Named>('-a-|', v).pipe(
        concatMapBatch(() => {
          throw new Error('project threw');
        }),
        catchError((e: Error) => of(e.message)),
      );
      expectObservable(out).toBe('-(e|)', { e: 'project threw' });
    });
    expect(log).toEqual(['a+1', 'a-1']);
  });

  it('UNSUBSCRIBE: reaches the source and the running inner at the same frame, releasing the running value and the waiting one', () => {
    const log: string[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const v = holdables(scheduler, log, ['a', 'b']);
      const src = cold<Named>('-ab------|', v);
      const inner = cold('----(x|)', { x: 'done' });
      expectObservable(src.pipe(concatMapBatch(() => inner)), '^--!').toBe('---');
      expectSubscriptions(src.subscriptions).toBe('^--!');
      expectSubscriptions(inner.subscriptions).toBe('-^-!');
    });
    expect(log).toEqual(['a+1', 'b+2', 'b-3', 'a-3']); // b waited in the buffer: released too
  });
});
