/**
 * @atkd/soft-targets — the soft-targets stage: exact or Taylor softmax of the teacher's logits at the
 * per-sample temperature, counting samples outside the convergence radius. See README.md.
 */
export { computeSoftTargets, RADIUS_TOLERANCE, type SoftTargetOptions, type SoftTargetResult } from './soft-targets.js';
export { withSoftTargets, addSoftTargets, type SoftTargetsStageOptions } from './operator.js';
