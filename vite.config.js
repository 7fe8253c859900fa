import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vite'

// The renderer is built once and served by both shells: Electron (app:// scheme) and the
// browser shell (`enclave serve`). Relative asset paths work under either.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One CSS file, no inline styles: both shells forbid 'unsafe-inline'.
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    // The docs chunk (TipTap, ProseMirror, Yjs, the board) is ~550 kB and loads on first use;
    // the app's own entry stays near 215 kB.
    chunkSizeWarningLimit: 600
  },
  // The call's frame worker keeps one name (assets/call-worker.js): a test opens it by that name
  // to check that frames sealed with one key are never decoded with another.
  worker: {
    format: 'es',
    rollupOptions: { output: { entryFileNames: 'assets/[name].js' } }
  }
})
