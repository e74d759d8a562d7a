/** Test-only: catalog rows without a database, for the pure planners (calendar, retention). */
import type { DepositRow } from '../catalog.js';

/** A live deposit row from its key `{tld}_{date}_{type}_R{rev}`; ids derived from the date. */
export function depositRow(key: string, status: DepositRow['status'], extra: Partial<DepositRow> = {}): DepositRow {
  const [tld, date, type, rev] = key.split('_') as [string, string, 'full' | 'diff', string | undefined];
  return {
    key,
    tld,
    name_date: date,
    type,
    rev: rev ? Number(rev.slice(1)) : 0,
    parts: 1,
    source: 'test',
    received_at: `${date}T23:00:00Z`,
    status,
    deposit_id: status === 'verified' ? date.replace(/-/g, '') : null,
    prev_id: null,
    watermark: `${date}T00:00:00Z`,
    resend: null,
    verified_at: null,
    report_json: null,
    legal_hold: false,
    hold_reason: null,
    deleted_at: null,
    delete_reason: null,
    ...extra,
  };
}
