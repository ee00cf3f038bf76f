// The parity suite again on the WebAssembly backend (what a browser without WebGL, or Node without
// tfjs-node, would use): same fixtures, same 1e-4 bound.
process.env.ATKD_MODELS_BACKEND = 'wasm';
await import('./parity.test.js');
