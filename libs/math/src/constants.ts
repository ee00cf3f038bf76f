/**
 * The radius sqrt(3) - 1 inside which the second-order expansion u = x + x^2/2 of exp(x) - 1
 * satisfies |u| <= 1 (with u = 1 exactly at x = sqrt(3) - 1). See README "Why sqrt(3) - 1".
 */
export const CONVERGENCE_RADIUS = Math.sqrt(3) - 1;

/** (1 + sqrt(3)) / 2 = 1 / CONVERGENCE_RADIUS: T = TEMPERATURE_SCALE * max |z'| puts every |z'/T| <= sqrt(3) - 1. */
export const TEMPERATURE_SCALE = (1 + Math.sqrt(3)) / 2;

/** Temperature given to a degenerate row (every z' the temperature looks at is 0: all logits equal). */
export const DEGENERATE_TEMPERATURE = 1;
