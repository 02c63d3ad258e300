import { type Io as CliIo, processIo as cliProcessIo } from '@kms-chain/cli';

/** Where a command writes and what it knows of its terminal; injectable for tests. */
export interface Io extends CliIo {
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  ...cliProcessIo,
  isTTY: process.stdout.isTTY === true,
  env: process.env,
};
