#!/usr/bin/env node
// The `vault` command. The TypeScript sources compile to dist/ on `npm install` (root prepare).
// libuv's thread pool (every fsync of file storage) keeps its default of 4 threads unless
// UV_THREADPOOL_SIZE is set in the environment: assigning it here would be too late, as Node 20's ESM
// loader starts the pool while it loads this file. 64 threads measured no faster on the development
// disk (apps/vault/bench: logins 968–1293/s with 4, 942–1090/s with 64, two runs each).
import { runBin } from '@kms-chain/cli';
import { main } from '../dist/cli.js';

runBin(main);
