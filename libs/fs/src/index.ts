// @atkd/fs: durable files for every atkd writer (no dependency: the lowest lib, usable by backend, models, data and up).
export {
  commitTemp, commitTempSync, createAtomicWriteStream, syncPath, syncPathSync, tempPathFor, writeFileAtomic, writeFileAtomicSync,
  writeFileSyncedSync, writeJsonAtomicSync, type AtomicWriteStream,
} from './atomic.js';
export { removeStaleTemps } from './leftovers.js';
export { JsonFileError, readJson } from './json.js';
