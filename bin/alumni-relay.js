#!/usr/bin/env node
// The `alumni-relay` command (npm link / a global install): the compiled CLI, built by `npm ci` (prepare).
process.setSourceMapsEnabled(true);
await import('../dist/cli.js');
