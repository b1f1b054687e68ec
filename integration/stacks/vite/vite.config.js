// The Vite dev server of a front end at http://localhost:8080 whose
// server.proxy forwards /api to the backend: the browser only ever talks to
// its own origin, so no CORS applies to /api at all.
//
// The test harness sets CORSVCR_PORT (the loopback port to listen on) and
// CORSVCR_API (the backend's base URL, e.g. http://127.0.0.1:41234).
import { defineConfig } from 'vite';

const api = process.env.CORSVCR_API;
if (!api) {
  throw new Error('vite.config.js: CORSVCR_API is not set');
}

export default defineConfig({
  logLevel: 'warn',
  clearScreen: false,
  server: {
    host: '127.0.0.1',
    port: Number(process.env.CORSVCR_PORT || 8080),
    strictPort: true,
    hmr: false,
    watch: null,
    proxy: {
      '/api': {
        target: api,
        rewrite: (path) => path.replace(/^\/api/, ''),
        configure: (proxy) => {
          // No Date on proxied responses: wall-clock noise in a cassette.
          proxy.on('proxyRes', (proxyRes, req, res) => {
            res.sendDate = false;
          });
        },
      },
    },
  },
});
