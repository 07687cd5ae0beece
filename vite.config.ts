/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { packetwalkScenarios } from './src/ui/build/scenarioPlugin.ts'

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url))

// The app's index.html lives in src/ so the top level stays small.
export default defineConfig({
  root: here('./src'),
  publicDir: here('./public'),
  base: './',
  // The scenario list and the default scenario (already run and laid out) come from the build.
  plugins: [react(), packetwalkScenarios({ dir: here('./scenarios') })],
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  worker: { format: 'es' },
  // The app lives in src/; the demos read world files from scenarios/ at the top level.
  server: { host: '127.0.0.1', port: 5173, fs: { allow: [here('.')] } },
  preview: { host: '127.0.0.1' },
  test: {
    root: here('.'),
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 30_000,
  },
})
