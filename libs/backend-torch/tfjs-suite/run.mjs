#!/usr/bin/env node
// TF.js's own op tests as the referee: bundles @tensorflow/tfjs-core's shipped test suite
// (dist/**/*_test.js through dist/tests.js, with dist/jasmine_util.js) with esbuild
// (--ignore-annotations; the chained ops and every gradient registered first, see setup.ts), and runs
// it with jasmine against one backend (`torch` by default, `--backend wasm` for the comparison).
// Prints passed / failed / excluded counts and writes the failures to --json FILE.
// Usage: node tfjs-suite/run.mjs [--backend torch|wasm] [--filter TEXT] [--json FILE]
import { build } from 'esbuild';
import Jasmine from 'jasmine';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const backend = opt('backend', 'torch');
const filter = opt('filter', null);
const outDir = join(pkg, 'build', 'tfjs-suite');
mkdirSync(outDir, { recursive: true });
const bundle = join(outDir, 'suite.mjs');
const require = createRequire(import.meta.url);

await build({
  entryPoints: [join(here, 'entry.ts')], bundle: true, platform: 'node', format: 'esm', mainFields: ['module', 'main'],
  ignoreAnnotations: true, logLevel: 'error', outfile: bundle,
  // jasmine_util requires jasmine-core's internal file only to set a default timeout on a private
  // jasmine instance (jasmine-core 7's "exports" hides it, and its layout changed): a stand-in; the
  // timeout is set on the running jasmine below.
  plugins: [{
    name: 'jasmine-core-stand-in',
    setup(b) {
      b.onResolve({ filter: /^jasmine-core\/lib\/jasmine-core\/jasmine\.js$/ }, () => ({ path: 'jasmine-core', namespace: 'stand-in' }));
      b.onLoad({ filter: /.*/, namespace: 'stand-in' }, () => ({ contents: 'module.exports = { core: () => ({}) };', loader: 'js' }));
    },
  }],
  // CommonJS globals for the bundled CommonJS modules: `require`, and `__dirname` / `__filename`
  // (the wasm backend's Emscripten loader reads __dirname; without it the wasm backend fails to
  // initialize inside the bundle and every spec reports 'wasm has not yet been initialized').
  banner: {
    js: "import { createRequire as __atkdCreateRequire } from 'node:module'; import { fileURLToPath as __atkdFileURLToPath } from 'node:url'; " +
      "import { dirname as __atkdDirname } from 'node:path'; const require = __atkdCreateRequire(import.meta.url); " +
      'const __filename = __atkdFileURLToPath(import.meta.url); const __dirname = __atkdDirname(__filename);',
  },
});

process.env['ATKD_SUITE_BACKEND'] = backend;
process.env['ATKD_TORCH_ADDON'] ??= join(pkg, 'build', 'Release', 'atkd_torch.node');
process.env['ATKD_SUITE_WASM_DIR'] = dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/';

const jasmine = new Jasmine({ projectBaseDir: outDir });
jasmine.exitOnCompletion = false;
jasmine.jasmine.DEFAULT_TIMEOUT_INTERVAL = 20_000;
jasmine.loadConfig({ spec_files: [bundle], random: false, env: { forbidDuplicateNames: false } });
const failures = [];
const exclusions = [];
let passed = 0, failed = 0, skipped = 0;
jasmine.env.clearReporters();
jasmine.env.addReporter({
  specDone(r) {
    if (r.status === 'passed') passed++;
    else if (r.status === 'failed') {
      failed++;
      failures.push({ name: r.fullName, message: (r.failedExpectations[0]?.message ?? '').split('\n')[0].slice(0, 300) });
    } else {
      skipped++;
      exclusions.push({ name: r.fullName, reason: globalThis.__atkdExclusion?.(r.fullName) ?? `${r.status} by jasmine (xit / pending)` });
    }
  },
});
const started = performance.now();
const result = await jasmine.execute(undefined, filter ?? undefined);
const line = `tfjs-core suite on ${backend}: ${passed} passed, ${failed} failed, ${skipped} excluded in ${((performance.now() - started) / 1000).toFixed(0)} s`;
console.log(line);
const byReason = new Map();
for (const e of exclusions) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
for (const [reason, n] of byReason) console.log(`  excluded ${n}: ${reason}`);
for (const f of failures.slice(0, 40)) console.log(`  FAIL ${f.name}: ${f.message}`);
const json = opt('json', null);
if (json !== null) {
  writeFileSync(json + '.tmp', JSON.stringify({ backend, passed, failed, skipped, overall: result.overallStatus, failures, exclusions }, null, 2) + '\n');
  renameSync(json + '.tmp', json);
}
process.exitCode = failed > 0 ? 1 : 0;
