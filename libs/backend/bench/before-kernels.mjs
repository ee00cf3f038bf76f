// The 'before' configuration: the plain tfjs wasm backend, which has no Conv2DBackpropFilter.
// A training step needs one, so the benchmark supplies the straightforward formulation a TF.js user
// would write with public ops running on wasm: per filter tap, a strided slice of the padded input
// and a matMul with dy (transposeA), dW[kh,kw] = x_tap^T dy. (The cpu backend's kernel, reached by
// copying the data, is far too slow to measure: ~20 s per call for batch 8 at 32x32x16 on this machine.)
import * as tf from '@tensorflow/tfjs';

function filterGrad(x, dy, attrs) {
  const [fh, fw, ci, co] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, left } = info.padInfo;
  const [n] = x.shape;
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const needH = fh - 1 + (ho - 1) * sh + 1, needW = fw - 1 + (wo - 1) * sw + 1;
  const xp = tf.pad(x, [[0, 0], [top, Math.max(0, needH - x.shape[1] - top)], [left, Math.max(0, needW - x.shape[2] - left)], [0, 0]]);
  const dy2 = tf.reshape(dy, [n * ho * wo, co]);
  const taps = [];
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const xs = tf.stridedSlice(xp, [0, kh, kw, 0], [n, kh + (ho - 1) * sh + 1, kw + (wo - 1) * sw + 1, ci], [1, sh, sw, 1]);
      taps.push(tf.matMul(tf.reshape(xs, [n * ho * wo, ci]), dy2, true, false));
    }
  }
  return tf.reshape(tf.stack(taps), [fh, fw, ci, co]);
}

const fallback = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    // Run public ops on wasm tensors that share the kernel inputs' data.
    const eng = tf.engine();
    const x = eng.makeTensorFromTensorInfo(inputs.x);
    const dy = eng.makeTensorFromTensorInfo(inputs.dy);
    backend.incRef(inputs.x.dataId);
    backend.incRef(inputs.dy.dataId);
    const out = tf.tidy(() => filterGrad(x, dy, attrs));
    tf.dispose([x, dy]);
    // Hand the result's data to the caller: keep the data, drop the wrapper tensor.
    backend.incRef(out.dataId);
    const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return info;
  },
};

export function installBeforeFallback() {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) tf.registerKernel(fallback);
}

export function removeBeforeFallback() {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === fallback) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
}
