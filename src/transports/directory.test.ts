import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { transportContract } from './contract-suite.js';
import { DirectoryTransport } from './directory.js';

let root: string | undefined;
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

transportContract('directory', async () => {
  root = await mkdtemp(join(tmpdir(), 'sr-dir-transport-'));
  return new DirectoryTransport(root);
});
