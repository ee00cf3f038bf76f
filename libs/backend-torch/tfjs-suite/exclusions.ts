// Tests of the tfjs-core suite not run against a backend, each with its reason. A test is excluded
// when its full name contains `match` (and, if given, only for `backends`).
export interface Exclusion { match: string; reason: string; backends?: string[] }

export const EXCLUSIONS: Exclusion[] = [
  // complex64 tensors stay in JavaScript on torch; TF.js's cpu kernels (the fallback) keep complex
  // numbers as two float tensors of their own storage, which a foreign backend cannot hand them.
  { match: 'complex', reason: 'complex64 is not supported on torch (no complex storage for the cpu fallback)', backends: ['torch'] },
  { match: 'Complex', reason: 'complex64 is not supported on torch', backends: ['torch'] },
  { match: 'fft', reason: 'FFT works on complex64, not supported on torch', backends: ['torch'] },
  { match: 'FFT', reason: 'FFT works on complex64, not supported on torch', backends: ['torch'] },
  { match: 'stft torch', reason: 'stft builds complex64 spectra, not supported on torch', backends: ['torch'] },
  { match: 'upcasts when dtypes dont match', reason: 'the test upcasts to complex64, not supported on torch', backends: ['torch'] },
  { match: 'real torch', reason: 'real() of complex64, not supported on torch', backends: ['torch'] },
  { match: 'imag torch', reason: 'imag() of complex64, not supported on torch', backends: ['torch'] },
  // ATen propagates NaN in max pooling and argmax/argmin (PyTorch's semantics); TF skips NaNs.
  { match: 'ignores NaNs', reason: 'ATen propagates NaN through max pooling and argmax/argmin (PyTorch semantics); TF skips it', backends: ['torch'] },
];

export function excluded(name: string, backend: string): Exclusion | null {
  for (const e of EXCLUSIONS) {
    if (name.includes(e.match) && (e.backends === undefined || e.backends.includes(backend))) return e;
  }
  return null;
}
