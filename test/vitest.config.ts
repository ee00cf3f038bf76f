import { projectTestConfig } from '../tools/vitest.shared.js';

export default projectTestConfig(import.meta.dirname, 'integration', { include: ['**/*.test.ts'], testTimeout: 120_000 });
