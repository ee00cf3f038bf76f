import { projectTestConfig } from '../../tools/vitest.shared.js';

export default projectTestConfig(import.meta.dirname, 'runner', { testTimeout: 120_000 }); // whole runs with resume: slow on a loaded 2-core machine
