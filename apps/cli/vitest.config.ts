import { projectTestConfig } from '../../tools/vitest.shared.js';

// The e2e tests spawn the built CLI (about a second per process on a loaded 2-core machine).
export default projectTestConfig(import.meta.dirname, 'cli', { testTimeout: 120_000 });
