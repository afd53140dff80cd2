import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Built into dist/, which ops/dev/src/console-server.ts serves on the router's origin.
// `npm test -w console` runs the unit and component tests (no I/O) in happy-dom.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  test: { environment: 'happy-dom', include: ['test/**/*.test.ts'] },
});
