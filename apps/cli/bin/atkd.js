#!/usr/bin/env node
// The `atkd` command as npm links it (node_modules/.bin/atkd, so `npx atkd` runs this workspace's CLI
// and never asks the registry). This file is committed so that it exists when `npm ci` links bins,
// before `npm run build` has made dist/; it runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('atkd: the CLI is not built yet (apps/cli/dist/main.js is missing); run `npm run build` in the atkd workspace first\n');
  process.exit(1);
}
const { runCli } = await import(main.href);
runCli();
