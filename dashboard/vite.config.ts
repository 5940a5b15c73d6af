/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The control plane serves dist/ at `/` (and its Dashboard function at /api/dashboard/): assets are linked
// relative to index.html's <base>. `npm run dev` proxies /api to it (URUMI_API, default :7071).
export default defineConfig({
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': process.env.URUMI_API ?? 'http://127.0.0.1:7071' } },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test-setup.ts'],
    reporters: process.env.URUMI_JUNIT ? ['default', 'junit'] : ['default'],
    outputFile: process.env.URUMI_JUNIT ? { junit: process.env.URUMI_JUNIT } : undefined,
  },
});
