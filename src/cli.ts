#!/usr/bin/env node
// Entry point of the command line (scripts/build.mjs bundles it into dist/cli.js); the commands are in cli/.
import { main } from './cli/main.ts';

await main(process.argv);
