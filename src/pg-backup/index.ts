/**
 * Self-hosted PostgreSQL backups: encrypted base and logical backups, WAL archiving for
 * point-in-time recovery, retention over backup + WAL chains, restore and restore drills.
 * See docs/pg-backup.md.
 */
export { pgBackupConfigSchema, loadPgBackupConfig, parsePgBackupConfig, nextRun, durationMs, type PgBackupConfig, type RetentionPolicy } from './config.js';
export { BackupArchive, openArchive, backupId, type BackupManifest, type BackupKind } from './archive.js';
export { runBackup, type BackupOptions, type BackupResult } from './backup.js';
export { walPush, walFetch, type WalPushResult, type WalFetchResult } from './wal-archive.js';
export { restoreBackup, type RestoreOptions, type RestoreResult } from './restore.js';
export { runDrill, type DrillReport, type DrillOptions } from './drill.js';
export { archiveInfo, listBackups, listWal, type ArchiveInfo } from './catalog.js';
export { decideRetention, planExpire, applyExpire, type ExpirePlan } from './retention.js';
export { loadSealKeysFor, loadOpenKeysFor, loadVerificationKeysFor } from './keys.js';
