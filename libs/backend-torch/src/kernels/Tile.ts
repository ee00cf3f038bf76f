import { Tile, type TileAttrs, type TileInputs } from '@tensorflow/tfjs-core';
import { torchKernel } from './kernel.js';

export const tileConfig = torchKernel<TileInputs, TileAttrs>(Tile, ({ inputs: { x }, backend, attrs }) =>
  backend.out(backend.native.tile(backend.nid(x), attrs.reps), x.dtype));
