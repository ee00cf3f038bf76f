// MobileNetV2 of RepDistiller / mdistiller (`mobilenetv2.py`, `mobilenetv2_T_w(T, W)`):
// stem conv3x3 stride 2 (`conv1.0/1`), inverted residual blocks `blocks.i.j.conv.{0,1,3,4,6,7}`
// (pw expand -> dw 3x3 -> pw linear, always with the expand conv, even for t = 1),
// `conv2` 1x1 to 1280, AvgPool2d(2, ceil_mode) and `classifier.0`. The zoo's `MobileNetV2` is
// their `mobile_half` (T = 6, W = 0.5).
import { NetGraph, type Ref } from '../graph.js';

export interface MobileNetV2Config {
  /** Expansion ratio T of all but the first stage. */
  expansion: number;
  widthMult: number;
  classes: number;
}

function invertedResidual(g: NetGraph, x: Ref, p: string, inp: number, oup: number, stride: number, t: number): Ref {
  const hidden = inp * t;
  let out = g.relu(g.bn(g.conv(x, `${p}.conv.0`, hidden, { kernel: 1 }), `${p}.conv.1`), `${p}.conv.2`);
  out = g.conv(out, `${p}.conv.3`, hidden, { kernel: 3, stride, pad: 1, groups: hidden });
  out = g.relu(g.bn(out, `${p}.conv.4`), `${p}.conv.5`);
  out = g.bn(g.conv(out, `${p}.conv.6`, oup, { kernel: 1 }), `${p}.conv.7`);
  return stride === 1 && inp === oup ? g.sum(x, out, `${p}.add`) : out;
}

export function mobileNetV2Graph(name: string, c: MobileNetV2Config): NetGraph {
  const settings: [number, number, number, number][] = [
    // t, c, n, s
    [1, 16, 1, 1],
    [c.expansion, 24, 2, 1],
    [c.expansion, 32, 3, 2],
    [c.expansion, 64, 4, 2],
    [c.expansion, 96, 3, 1],
    [c.expansion, 160, 3, 2],
    [c.expansion, 320, 1, 1],
  ];
  const g = new NetGraph(name);
  let x = g.input([32, 32, 3]);
  let inputChannel = Math.trunc(32 * c.widthMult);
  x = g.relu(g.bn(g.conv(x, 'conv1.0', inputChannel, { kernel: 3, stride: 2, pad: 1 }), 'conv1.1'), 'conv1.2');
  settings.forEach(([t, ch, n, s], i) => {
    const outputChannel = Math.trunc(ch * c.widthMult);
    for (let j = 0; j < n; j++) {
      x = invertedResidual(g, x, `blocks.${i}.${j}`, inputChannel, outputChannel, j === 0 ? s : 1, t);
      inputChannel = outputChannel;
    }
  });
  const lastChannel = c.widthMult > 1 ? Math.trunc(1280 * c.widthMult) : 1280;
  x = g.relu(g.bn(g.conv(x, 'conv2.0', lastChannel, { kernel: 1 }), 'conv2.1'), 'conv2.2');
  // AvgPool2d(input_size // 16, ceil_mode=True) on the 2x2 map of a 32x32 input.
  x = g.globalPool(x, 'avgpool', 2);
  g.setOutput(g.dense(x, 'classifier.0', c.classes));
  return g;
}
