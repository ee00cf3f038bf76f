export const CONVERGENCE_RADIUS = Math.sqrt(3) - 1;
