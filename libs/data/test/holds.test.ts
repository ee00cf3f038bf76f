// The one hold counter behind every hold(): cifarBatches' batches and the pipeline's releaseInOrder.
import { describe, expect, it } from 'vitest';
import { holdCounter } from '../src/index.js';

describe('holdCounter', () => {
  it('frees once: after the delivery hold and every hold taken are released, in any order', () => {
    let freed = 0;
    const c = holdCounter(() => (freed += 1));
    const a = c.hold();
    const b = c.hold();
    c.release(); // the delivery returned
    expect(freed).toBe(0);
    b();
    b(); // idempotent: a second call releases nothing more
    expect(freed).toBe(0);
    a();
    expect(freed).toBe(1);
    // a hold taken after it is free holds nothing and frees nothing again
    const late = c.hold();
    late();
    expect(freed).toBe(1);
  });

  it('with no hold taken, the delivery alone frees it', () => {
    let freed = 0;
    holdCounter(() => (freed += 1)).release();
    expect(freed).toBe(1);
  });
});
