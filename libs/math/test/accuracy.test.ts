// Top-k accuracy: ties are broken against the true class, NaN is an error naming the row.
import { describe, expect, it } from 'vitest';
import { topKCorrect } from '../src/index.js';

describe('topKCorrect', () => {
  it('counts a row whose label scores strictly highest', () => {
    const logits = [0, 3, 1, 2, /* row 1 */ 5, 1, 1, 1];
    expect(topKCorrect(logits, [1, 0], 4, 1)).toBe(2);
    expect(topKCorrect(logits, [3, 1], 4, 1)).toBe(0);
    expect(topKCorrect(logits, [3, 1], 4, 2)).toBe(1); // row 0: only class 1 beats 3
  });
  it('breaks ties against the true class: equal logits score 0 % top-1 and top-5', () => {
    const classes = 100;
    const rows = 50;
    const logits = new Float32Array(rows * classes).fill(0.25);
    const labels = Array.from({ length: rows }, (_, i) => i % classes);
    expect(topKCorrect(logits, labels, classes, 1)).toBe(0);
    expect(topKCorrect(logits, labels, classes, 5)).toBe(0);
    // a two-way tie for first place does not count for top-1 but does for top-2
    expect(topKCorrect([1, 1, 0], [0], 3, 1)).toBe(0);
    expect(topKCorrect([1, 1, 0], [0], 3, 2)).toBe(1);
  });
  it('rejects NaN and infinite logits, naming row and column', () => {
    expect(() => topKCorrect([0, 1, 2, 0, Number.NaN, 2], [2, 2], 3, 1)).toThrow(/logits\[row 1, column 1\] is NaN/);
    expect(() => topKCorrect(new Float32Array(6).fill(Number.NaN), [0, 0], 3, 5, 'student logits')).toThrow(/student logits\[row 0, column 0\] is NaN/);
    expect(() => topKCorrect([Infinity, 0, 0], [0], 3, 1)).toThrow(/row 0, column 0\] is Infinity/);
  });
  it('rejects labels outside 0..classes-1, naming the row', () => {
    expect(() => topKCorrect([0, 1, 0, 1], [1, 2], 2, 1)).toThrow(/label of row 1 is 2: labels must be integers in 0\.\.1/);
    expect(() => topKCorrect([0, 1], [-1], 2, 1)).toThrow(/label of row 0 is -1/);
  });
  it('checks shapes and k', () => {
    expect(() => topKCorrect([0, 1, 2], [0], 2, 1)).toThrow(/3 values, expected 1 rows x 2 classes/);
    expect(() => topKCorrect([0, 1], [0], 2, 0)).toThrow(/k must be an integer >= 1/);
  });
});
