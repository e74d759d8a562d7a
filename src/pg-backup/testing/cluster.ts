/**
 * Test-only: a dedicated, tiny PostgreSQL cluster (initdb as postgres, 1 MiB WAL segments,
 * fsync off) on a free loopback port, with its archive_command set to our `pg wal-push`, a
 * directory destination, and a key pair, all in one temp directory removed at the end.
 * The shared server on 5432 is never touched.
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { generateKeyPair } from '../../ryde/keys.js';
import { requireTool, whichTool } from '../../testing/tools.js';
import { runProgram } from '../process.js';
import { chownTree, freePort, serverUser, startServer, type ServerHandle } from '../server.js';
import { shellWord } from '../restore.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const STRONGROOM_BIN = fileURLToPath(new URL('../../../../bin/strongroom.js', import.meta.url));
/** The light pg-only entry, as archive_command would use it. */
export const STRONGROOM_PG_BIN = fileURLToPath(new URL('../../../../bin/strongroom-pg.js', import.meta.url));

export interface TestCluster {
  dir: string;
  dataDir: string;
  archiveDir: string;
  configFile: string;
  port: number;
  socketDir: string;
  server: ServerHandle;
  client(database?: string): Promise<pg.Client>;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Run `strongroom …` as a child process. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string; json: () => any };
}

let keyPair: Promise<{ publicKey: string; privateKey: string }> | undefined;

export function toolsPresent(t: TestContext): boolean {
  const initdb = whichTool('initdb') !== null || spawnSync('test', ['-x', `${PG_BIN}/initdb`]).status === 0;
  return requireTool(t, 'initdb', initdb, 'PostgreSQL 15 server binaries') && requireTool(t, 'zstd') && requireTool(t, 'pg_basebackup');
}

export async function testCluster(t: TestContext, options: { retention?: Record<string, unknown> } = {}): Promise<TestCluster | null> {
  if (!toolsPresent(t)) return null;
  const user = serverUser();
  const dir = await mkdtemp(join(tmpdir(), 'sr-pgbackup-'));
  await chmod(dir, 0o711);
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'run');
  const archiveDir = join(dir, 'archive');
  const keysDir = join(dir, 'keys');
  await mkdir(socketDir, { mode: 0o700 });
  await mkdir(archiveDir, { mode: 0o700 });
  await mkdir(keysDir, { mode: 0o700 });
  keyPair ??= generateKeyPair({ profile: 'rfc4880', algorithm: 'ed25519', uid: 'pg backup test <pg@example.test>' });
  const pair = await keyPair;
  await writeFile(join(keysDir, 'backup.key.asc'), pair.privateKey, { mode: 0o600 });
  await writeFile(join(keysDir, 'backup.pub.asc'), pair.publicKey, { mode: 0o600 });
  const port = await freePort();
  const configFile = join(dir, 'pg-backup.yaml');
  await writeFile(
    configFile,
    stringify({
      pgBackup: {
        cluster: 'test',
        connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
        binDir: PG_BIN,
        destination: { kind: 'directory', path: 'archive' },
        keys: { profile: 'rfc4880', signingKey: 'keys/backup.key.asc', recipients: ['keys/backup.pub.asc'], decryptionKeys: ['keys/backup.key.asc'] },
        compressionLevel: 3,
        retention: options.retention ?? {},
        schedules: { full: 'daily 02:00', drill: 'weekly sun 04:00' },
        scratchDir: join(dir, 'scratch'),
      },
    }),
    { mode: 0o600 },
  );
  await chownTree(dir, user);
  const run = user ? { uid: user.uid, gid: user.gid, cwd: '/' } : { cwd: '/' };
  await runProgram(`${PG_BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--wal-segsize=1', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], run);
  const archiveCommand = `${shellWord(process.execPath)} ${shellWord(STRONGROOM_PG_BIN)} pg wal-push --config ${shellWord(configFile)} %p %f`;
  const server = await startServer({
    binDir: PG_BIN,
    dataDir,
    socketDir,
    logFile: join(dir, 'server.log'),
    port,
    user,
    settings: { archive_mode: 'on', archive_command: archiveCommand, wal_level: 'replica', fsync: 'off', max_wal_senders: '4', wal_keep_size: '64MB', shared_buffers: '16MB' },
  });
  t.after(async () => {
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const client = async (database = 'postgres'): Promise<pg.Client> => {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database });
    await c.connect();
    return c;
  };
  return {
    dir,
    dataDir,
    archiveDir,
    configFile,
    port,
    socketDir,
    server,
    client,
    async query(sql, params) {
      const c = await client();
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    cli(args) {
      const result = spawnSync(process.execPath, [STRONGROOM_BIN, ...args], { encoding: 'utf8', env: { ...process.env, STRONGROOM_PG_CONFIG: configFile } });
      return {
        status: result.status,
        stdout: result.stdout,
        stderr: result.stderr,
        json: () => JSON.parse(result.stdout),
      };
    },
  };
}

/** Wait (bounded) until PostgreSQL reports `segment` archived. */
export async function waitArchived(cluster: TestCluster, segment: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const [row] = await cluster.query<{ last: string | null; failed: string | null }>('SELECT last_archived_wal AS last, last_failed_wal AS failed FROM pg_stat_archiver');
    if (row?.last && row.last >= segment) return;
    if (Date.now() > deadline) throw new Error(`WAL ${segment} not archived in time (last ${row?.last}, failed ${row?.failed})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
