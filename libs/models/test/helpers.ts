import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  cifarResNetGraph, mobileNetV2Graph, modelGraph, shuffleNetV1Graph, shuffleNetV2Graph, vggGraph, wideResNetGraph,
  type NetGraph,
} from '../src/index.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

let ready: Promise<boolean> | undefined;
/** Use the plain-JS cpu backend (deterministic, no native deps). */
export function cpuBackend(): Promise<boolean> {
  ready ??= tf.setBackend('cpu');
  return ready;
}

/** Switch to another registered backend ('wasm' and 'torch' are imported here). */
export async function useBackend(name: string): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'torch') await import('@atkd/backend-torch');
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not initialise`);
}

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface ParityFixture {
  id: string;
  family: string;
  config: Record<string, unknown>;
  classes: number;
  batch: number;
  wrapper: string;
  params: number;
}

/** The graph (zoo model or reduced-width config of the same family) a parity fixture was made with. */
export function fixtureGraph(f: ParityFixture): NetGraph | string {
  const c = f.config as never;
  const classes = f.classes;
  switch (f.family) {
    case 'zoo':
      return (f.config as { name: string }).name;
    case 'cifarResNet':
      return cifarResNetGraph(f.id, { ...(c as object), classes } as never);
    case 'wideResNet':
      return wideResNetGraph(f.id, { ...(c as object), classes } as never);
    case 'vgg':
      return vggGraph(f.id, { ...(c as object), classes } as never);
    case 'mobileNetV2':
      return mobileNetV2Graph(f.id, { ...(c as object), classes } as never);
    case 'shuffleNetV1':
      return shuffleNetV1Graph(f.id, { ...(c as object), classes } as never);
    case 'shuffleNetV2':
      return shuffleNetV2Graph(f.id, { ...(c as object), classes } as never);
    default:
      throw new Error(`unknown fixture family ${f.family}`);
  }
}

export function graphOf(f: ParityFixture): NetGraph {
  const g = fixtureGraph(f);
  return typeof g === 'string' ? modelGraph(g, { classes: f.classes }) : g;
}

export function parityManifest(): { fixtures: ParityFixture[]; inputShape: number[] } {
  return JSON.parse(readFileSync(join(FIXTURES, 'parity', 'parity.json'), 'utf8')) as { fixtures: ParityFixture[]; inputShape: number[] };
}
