import { describe, expect, it } from 'vitest';
import { CONVERGENCE_RADIUS } from '../src/index.js';

describe('math', () => {
  it('radius', () => expect(CONVERGENCE_RADIUS).toBeCloseTo(0.732, 3));
});
