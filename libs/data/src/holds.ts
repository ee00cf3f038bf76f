/**
 * Holds: how a consumer keeps a batch in flight. A source (`cifarBatches`) counts a batch as in flight
 * until its delivery returned and every `hold()` taken on it is released; `concatMapBatch` and the
 * pipeline's `releaseInOrder` take holds. {@link holdCounter} is the one counter behind every `hold()`.
 */

/** Something a source lets the consumer keep in flight (a {@link CifarBatch}). */
export interface Holdable {
  /** Keeps the value in flight until the returned release function is called (idempotent). */
  hold(): () => void;
}

/** A hold counter: the delivery hold plus the holds taken by {@link HoldCounter.hold}. */
export interface HoldCounter extends Holdable {
  /** Releases the delivery hold (call once, when the delivery returned). */
  release(): void;
}

/**
 * A counter that starts with one hold (the delivery) and calls `onFree` once, when the delivery hold
 * and every hold taken with `hold()` are released. A `hold()` taken after that holds nothing.
 */
export function holdCounter(onFree: () => void): HoldCounter {
  let holds = 1;
  const releaseOne = (): void => {
    holds -= 1;
    if (holds === 0) onFree();
  };
  return {
    release: releaseOne,
    hold(): () => void {
      if (holds === 0) return () => undefined; // already free: nothing to hold
      holds += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        releaseOne();
      };
    },
  };
}
