// First module of the tfjs-core suite bundle: the chained ops and every gradient (as the TF.js
// backends' own test runners do), then the backend under test as the only test environment.
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { setTestEnvs, setupTestFilters } from '@tensorflow/tfjs-core/dist/jasmine_util.js';
import { registerTorchBackend } from '../src/register.js';
import { excluded } from './exclusions.js';

const backend = process.env['ATKD_SUITE_BACKEND'] ?? 'torch';
if (backend === 'torch' && !registerTorchBackend()) throw new Error('the torch addon is not available');
if (backend === 'wasm') wasm.setWasmPaths(process.env['ATKD_SUITE_WASM_DIR'] ?? '');
setTestEnvs([{ name: backend, backendName: backend, flags: {}, isDataSync: true }]);
setupTestFilters([], (name: string) => excluded(name, backend) === null);
// for the runner's report: why a test was not run
(globalThis as { __atkdExclusion?: (name: string) => string | null }).__atkdExclusion = (name) => excluded(name, backend)?.reason ?? null;
