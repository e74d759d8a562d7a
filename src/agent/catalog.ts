/**
 * The agent's catalog (schema `agent`, migrations/003_agent_catalog.sql) on either database
 * implementation: what was received (deposits and their files), verification results, legal
 * holds, deletions, releases and approvals, and the audit log's head.
 */
import type { Db, Queryable } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import type { DepositKind } from '../ryde/naming.js';
import type { AuditHeadStore } from './audit.js';

export type DepositStatus = 'received' | 'verified' | 'failed' | 'error';

export type DepositRow = {
  key: string;
  tld: string;
  name_date: string;
  type: DepositKind;
  rev: number;
  parts: number;
  source: string;
  received_at: string;
  status: DepositStatus;
  deposit_id: string | null;
  prev_id: string | null;
  watermark: string | null;
  resend: number | null;
  verified_at: string | null;
  report_json: string | null;
  legal_hold: boolean;
  hold_reason: string | null;
  deleted_at: string | null;
  delete_reason: string | null;
};

export type FileRow = {
  deposit_key: string;
  name: string;
  part: number;
  kind: 'ryde' | 'sig';
  sha256: string;
  size: number;
};

export interface NewDeposit {
  key: string;
  tld: string;
  date: string;
  type: DepositKind;
  rev: number;
  parts: number;
  source: string;
  receivedAt: Date;
  files: Array<Omit<FileRow, 'deposit_key'>>;
}

export interface VerificationRecord {
  key: string;
  status: 'PASS' | 'FAIL' | 'ERROR';
  startedAt: Date;
  finishedAt: Date;
  errors: number;
  warnings: number;
  reportJson: string;
  reportText: string;
  /** From the deposit XML when it could be read. */
  header?: { id?: string; prevId?: string; watermark?: string; resend?: number };
}

export class Catalog implements AuditHeadStore {
  constructor(readonly db: Db) {}

  async depositByKey(key: string, q: Queryable = this.db): Promise<DepositRow | null> {
    const rows = await q.query<DepositRow>('SELECT * FROM agent.deposit WHERE key = $1', [key]);
    return rows[0] ?? null;
  }

  async files(key: string, q: Queryable = this.db): Promise<FileRow[]> {
    return q.query<FileRow>('SELECT * FROM agent.file WHERE deposit_key = $1 ORDER BY part, kind', [key]);
  }

  async addDeposit(deposit: NewDeposit): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO agent.deposit (key, tld, name_date, type, rev, parts, source, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [deposit.key, deposit.tld, deposit.date, deposit.type, deposit.rev, deposit.parts, deposit.source, deposit.receivedAt.toISOString()],
      );
      for (const file of deposit.files) {
        await tx.query('INSERT INTO agent.file (deposit_key, name, part, kind, sha256, size) VALUES ($1, $2, $3, $4, $5, $6)', [
          deposit.key,
          file.name,
          file.part,
          file.kind,
          file.sha256,
          file.size,
        ]);
      }
    });
  }

  /** Deposits of a TLD not deleted, oldest first by (name date, rev). */
  async deposits(options: { tld?: string; includeDeleted?: boolean } = {}): Promise<DepositRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.tld !== undefined) {
      params.push(options.tld);
      where.push(`tld = $${params.length}`);
    }
    if (!options.includeDeleted) where.push('deleted_at IS NULL');
    return this.db.query<DepositRow>(`SELECT * FROM agent.deposit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY tld, name_date, rev, key`, params);
  }

  async tlds(): Promise<string[]> {
    const rows = await this.db.query<{ tld: string }>('SELECT DISTINCT tld FROM agent.deposit ORDER BY tld');
    return rows.map((row) => row.tld);
  }

  async recordVerification(record: VerificationRecord): Promise<void> {
    const status: DepositStatus = record.status === 'PASS' ? 'verified' : record.status === 'FAIL' ? 'failed' : 'error';
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO agent.verification (deposit_key, status, started_at, finished_at, errors, warnings, report_json, report_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [record.key, record.status, record.startedAt.toISOString(), record.finishedAt.toISOString(), record.errors, record.warnings, record.reportJson, record.reportText],
      );
      await tx.query(
        `UPDATE agent.deposit SET status = $2, verified_at = $3, report_json = $4,
           deposit_id = COALESCE($5, deposit_id), prev_id = $6, watermark = COALESCE($7::timestamptz, watermark), resend = COALESCE($8, resend)
         WHERE key = $1`,
        [
          record.key,
          status,
          record.finishedAt.toISOString(),
          record.reportJson,
          record.header?.id ?? null,
          record.header?.prevId ?? null,
          record.header?.watermark ?? null,
          record.header?.resend ?? null,
        ],
      );
    });
  }

  async verificationCount(key: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM agent.verification WHERE deposit_key = $1', [key]);
    return rows[0]?.n ?? 0;
  }

  async setHold(key: string, hold: boolean, reason: string | null): Promise<void> {
    const rows = await this.db.query('UPDATE agent.deposit SET legal_hold = $2, hold_reason = $3 WHERE key = $1 RETURNING key', [key, hold, reason]);
    if (rows.length === 0) throw new StrongroomError('AGENT_NOT_FOUND', `no deposit ${key} in the catalog`);
  }

  async markDeleted(key: string, at: Date, reason: string): Promise<void> {
    await this.db.query('UPDATE agent.deposit SET deleted_at = $2, delete_reason = $3 WHERE key = $1', [key, at.toISOString(), reason]);
  }

  /** Is any other live deposit's file stored under this hash? (objects are shared by hash) */
  async objectStillUsed(sha256: string, exceptKey: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM agent.file f JOIN agent.deposit d ON d.key = f.deposit_key WHERE f.sha256 = $1 AND d.key <> $2 AND d.deleted_at IS NULL LIMIT 1`,
      [sha256, exceptKey],
    );
    return rows.length > 0;
  }

  // Releases

  async createRelease(id: string, tld: string, at: Date, reason: string | null): Promise<void> {
    await this.db.query('INSERT INTO agent.release (id, tld, requested_at, reason) VALUES ($1, $2, $3, $4)', [id, tld, at.toISOString(), reason]);
  }

  async release(id: string): Promise<{ id: string; tld: string; requested_at: string; reason: string | null; exported_at: string | null; exported_to: string | null } | null> {
    const rows = await this.db.query<{ id: string; tld: string; requested_at: string; reason: string | null; exported_at: string | null; exported_to: string | null }>(
      'SELECT * FROM agent.release WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  /** The open (not exported) release of a TLD, if any. */
  async openReleaseOf(tld: string): Promise<string | null> {
    const rows = await this.db.query<{ id: string }>('SELECT id FROM agent.release WHERE tld = $1 AND exported_at IS NULL ORDER BY requested_at DESC, id DESC LIMIT 1', [tld]);
    return rows[0]?.id ?? null;
  }

  async approve(id: string, approver: string, at: Date): Promise<boolean> {
    const rows = await this.db.query('INSERT INTO agent.approval (release_id, approver, approved_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING approver', [
      id,
      approver,
      at.toISOString(),
    ]);
    return rows.length > 0;
  }

  async approvers(id: string): Promise<string[]> {
    const rows = await this.db.query<{ approver: string }>('SELECT approver FROM agent.approval WHERE release_id = $1 ORDER BY approver', [id]);
    return rows.map((row) => row.approver);
  }

  async markExported(id: string, at: Date, to: string): Promise<void> {
    await this.db.query('UPDATE agent.release SET exported_at = $2, exported_to = $3 WHERE id = $1', [id, at.toISOString(), to]);
  }

  // AuditHeadStore

  async getAuditHead(): Promise<{ seq: number; hash: string } | null> {
    const rows = await this.db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM agent.audit_head');
    return rows[0] ?? null;
  }

  async setAuditHead(seq: number, hash: string): Promise<void> {
    await this.db.query('INSERT INTO agent.audit_head (only_row, seq, hash) VALUES (true, $1, $2) ON CONFLICT (only_row) DO UPDATE SET seq = $1, hash = $2', [seq, hash]);
  }
}
