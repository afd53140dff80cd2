import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// Built into dist/, which ops/dev/src/console-server.ts serves on the router's origin.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
});
