// VGG of RepDistiller / mdistiller (`vgg.py`): five blocks `block0..block4`, each a
// Sequential of conv3x3(+bias) [+ BN] + ReLU with the block's last ReLU applied outside;
// 2x2 max pools after blocks 0-2 (pool3 is only used for 64x64 inputs, so not at 32x32),
// adaptive average pooling, `classifier` = Linear(512, classes). The zoo's vgg8..vgg19 are the
// `_bn` variants.
import { NetGraph } from '../graph.js';

export type VggConfig = readonly (readonly number[])[];

export const VGG_CONFIGS = {
  S: [[64], [128], [256], [512], [512]],
  A: [[64], [128], [256, 256], [512, 512], [512, 512]],
  B: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
  D: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
  E: [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]],
} as const satisfies Record<string, VggConfig>;

export interface VggGraphConfig {
  cfg: VggConfig;
  batchNorm: boolean;
  classes: number;
}

export function vggGraph(name: string, c: VggGraphConfig): NetGraph {
  if (c.cfg.length !== 5) throw new Error(`${name}: VGG config needs 5 blocks, got ${c.cfg.length}`);
  const last = c.cfg[4][c.cfg[4].length - 1];
  if (last !== 512) throw new Error(`${name}: VGG's classifier is Linear(512, classes); the last block must end with 512 channels, not ${last}`);
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  for (let b = 0; b < 5; b++) {
    const per = c.batchNorm ? 3 : 2;
    c.cfg[b].forEach((v, j) => {
      x = g.conv(x, `block${b}.${per * j}`, v, { kernel: 3, pad: 1, bias: true });
      if (c.batchNorm) x = g.bn(x, `block${b}.${per * j + 1}`);
      // The Sequential's last ReLU is dropped; forward() applies F.relu after the block instead.
      x = g.relu(x, j === c.cfg[b].length - 1 ? `relu${b}` : `block${b}.${per * j + per - 1}`);
    });
    if (b < 3) x = g.maxPool(x, `pool${b}`, 2, 2);
  }
  x = g.globalPool(x, 'pool4', x.shape[0]);
  g.setOutput(g.dense(x, 'classifier', c.classes));
  return g;
}
