/** Durability helpers shared by every writer that renames or links a file into place. */
import { open } from 'node:fs/promises';

/**
 * fsync a directory, so that a rename or link into it survives a crash. Some file systems
 * cannot fsync a directory (EINVAL); the rename or link is still atomic there.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}
