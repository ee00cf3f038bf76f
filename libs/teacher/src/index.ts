/**
 * @atkd/teacher — the teacher stage of atkd: adds a teacher network's logits (inference mode, no
 * gradient) to each Arrow record batch as `teacher_logits`, optionally streaming them from an Arrow
 * logits cache. See README.md.
 */
export { withTeacherLogits, imageBytes, modelClasses, predictLogits, type TeacherOptions } from './logits.js';
export { addTeacherLogits, type TeacherLogitsOptions } from './teacher-logits.js';
export { modelFingerprint } from './fingerprint.js';
export { CACHE_FORMAT, CACHE_META, LogitsCache, LogitsCacheError, writeLogitsCache } from './cache.js';
export type { CacheExpectation, CacheProgress, WriteCacheOptions } from './cache.js';
