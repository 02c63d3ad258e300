import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * fsync of a directory: makes its new, renamed and removed entries durable.
 * @throws the Node system error (ENOENT when the directory is gone).
 */
export async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
