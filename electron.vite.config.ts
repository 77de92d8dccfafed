import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

const r = (p: string) => resolve(__dirname, p)

export default defineConfig({
  main: {
    // One Node build for every process entry: Electron main, the desktop engine host (a utility
    // process), the CLI and the workers. Only index.js imports electron; the rest run under plain
    // Node too.
    build: {
      outDir: 'out/main',
      rollupOptions: {
        // Shared chunks sit beside the entries, so __dirname is out/main in every module and
        // paths to the renderer and worker entries resolve the same from any of them.
        output: { chunkFileNames: '[name]-[hash].js' },
        input: {
          index: r('electron/main/index.ts'),
          engine: r('electron/engine/host/main.ts'),
          cli: r('electron/cli/main.ts'),
          store: r('electron/shared/store/index.ts'),
          // Loaded by bench/attribution.bench.mjs.
          attribution: r('electron/shared/attribution/index.ts'),
          'store-reader': r('electron/workers/store-reader/main.ts'),
          probe: r('electron/workers/probe/main.ts'),
          capture: r('electron/workers/capture/main.ts'),
        },
      },
    },
  },
  preload: {
    // Sandboxed preloads must be a single CommonJS file.
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: r('electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: r('renderer'),
    plugins: [vue()],
    build: {
      outDir: r('out/renderer'),
      rollupOptions: { input: { index: r('renderer/index.html') } },
    },
  },
})
