// `npm run bench -- probe`: the probe precision benchmark (bench/probe-precision.mjs).
await import('./probe-precision.mjs')
