// reorderByStep in virtual time, the cases codec.test.ts leaves out: an upstream error passes through
// at its frame (the waiting items are dropped, never emitted), and an unsubscribe reaches the source
// at the same frame with nothing emitted after it.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { reorderByStep } from '../src/index.js';

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));
const v = { a: { step: 0 }, b: { step: 1 }, c: { step: 2 }, d: { step: 3 } };

describe('reorderByStep (marble tests, virtual time): error and unsubscribe', () => {
  it('ERROR: an upstream error is forwarded at its frame; items waiting for a gap are not emitted', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-a-c-d-#', v, new Error('consumer deleted'));
      expectObservable(src.pipe(reorderByStep())).toBe('-a-----#', v, new Error('consumer deleted'));
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
  });

  it('UNSUBSCRIBE: reaches the source at the same frame; a step that arrives later is never emitted', () => {
    const duplicates: number[] = [];
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('-b-a-a--c-|', v);
      expectObservable(src.pipe(reorderByStep({ onDuplicate: (x) => duplicates.push(x.step) })), '^------!').toBe('---(ab)', v);
      expectSubscriptions(src.subscriptions).toBe('^------!');
    });
    expect(duplicates).toEqual([0]); // the second a (frame 5), before the unsubscribe
  });
});
