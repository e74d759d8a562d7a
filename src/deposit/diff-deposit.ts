/**
 * DIFF and INCR deposits (RFC 8909 §5; ICANN Spec 2 §1.2) and THIN deposits (BRDA, Spec 4 §3.1),
 * written by the one deposit writer of ./full-deposit.ts.
 *
 * A DIFF holds what changed since the previous FULL or DIFF of the TLD (Spec 2 §1.2), an INCR
 * what changed since the last FULL; both carry `prevId` = that deposit's id. "What changed" is
 * decided by the change journal (src/journal, migration 002) and snapshot visibility alone:
 *
 * - `<rde:deletes>`: objects the previous deposit's snapshot held and this snapshot does not —
 *   domains by name, hosts by roid, contacts, registrars and IDN tables by id, NNDNs by aName;
 * - `<rde:contents>`: every object with a journal entry this snapshot sees and the previous one
 *   did not, complete (a rebuild replaces it whole), read and serialised exactly as in a FULL
 *   (the source's change filter narrows the set, nothing else differs); a domain deleted and
 *   registered again under the same name appears as a delete of the name and the new domain;
 *   a renamed host brings every domain that names it;
 * - the header counts the registry's objects at the watermark (RFC 9022 §5.9.1).
 *
 * The file name is Spec 2's `{tld}_{date}_diff_S1_R{rev}.xml` for both (Spec 2 §5 knows no
 * `incr` type); a DIFF and an INCR of the same day therefore belong in different directories.
 */
import type { Db } from '../db/adapter.js';
import { writeDeposit, type DepositResult, type FullDepositOptions } from './full-deposit.js';

/** Options of DIFF, INCR and THIN deposits: those of a FULL deposit (`watermark` must follow the previous deposit's). */
export type DepositOptions = FullDepositOptions;

/** A DIFF deposit: the changes since the previous FULL or DIFF of the TLD (refused without one: DEPOSIT_NO_BASE). */
export async function writeDiffDeposit(db: Db, options: DepositOptions): Promise<DepositResult> {
  return writeDeposit(db, options, 'DIFF');
}

/** An INCR deposit: the changes since the last FULL of the TLD (refused without one: DEPOSIT_NO_BASE). */
export async function writeIncrDeposit(db: Db, options: DepositOptions): Promise<DepositResult> {
  return writeDeposit(db, options, 'INCR');
}

/**
 * A THIN deposit (BRDA, Spec 4 §3.1): RFC 8909 type FULL holding the domains and registrars of
 * the TLD with the BRDA fields only, named `{tld}_{date}_thin_S1_R{rev}.xml`.
 */
export async function writeThinDeposit(db: Db, options: DepositOptions): Promise<DepositResult> {
  return writeDeposit(db, options, 'THIN');
}
