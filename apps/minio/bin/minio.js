#!/usr/bin/env node
// The `minio` command. The TypeScript sources compile to dist/ on `npm install` (root prepare).
import { runBin } from '@kms-chain/cli';
import { main } from '../dist/cli.js';

runBin(main);
