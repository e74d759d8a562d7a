/**
 * The outcome of verifying one deposit, as the escrow agent produces it and the reporting side
 * consumes it (rdeNotification DVPN/DVFN in src/reporting/notification.ts, email and webhook
 * notifications in src/notify). It is the `--json` document of `strongroom agent verify`,
 * reduced to what every consumer needs; producers may add fields.
 *
 * Rules for producers:
 * - `status` is PASS only when every check ran and none found an error; a check that did not
 *   run is never reported as passed (FAIL when a check found errors, ERROR when verification
 *   could not be completed, e.g. a tool was missing).
 * - `findings` use the shape of src/common/findings.ts (stable code, severity, object
 *   identifier, location, message; no personal data beyond identifiers), in the order found.
 * - `deposit` holds what is known: from the file names before decryption (tld, type, resend,
 *   watermark date), from the deposit XML when it could be read (id, watermark, header).
 *   `header` is copied into the notification's rdeReport, so give it only as read.
 */
import type { Finding } from './findings.js';
import type { DepositType, Header } from '../model/objects.js';

export type VerificationStatus = 'PASS' | 'FAIL' | 'ERROR';

export interface VerifiedDeposit {
  tld: string;
  /** RFC 8909 deposit id, when the XML could be read. */
  id?: string;
  type?: DepositType;
  /** RFC 3339 UTC, from the XML (or the file name's date at 00:00:00Z when it could not be read). */
  watermark?: string;
  /** RFC 8909 resend (Spec 2 R{n}). */
  resend?: number;
  prevId?: string;
  /** The deposit's `<rdeHeader:header>`, as read. */
  header?: Header;
  /** Spec 2 name or repository key of the deposit, for people. */
  name?: string;
  /** When the deposit's last part arrived (RFC 3339 UTC): the notification's reDate. */
  receivedAt?: string;
  /** When verification finished (RFC 3339 UTC): the notification's vaDate. */
  verifiedAt?: string;
  /** Sealed bytes received, all parts. */
  bytes?: number;
}

export interface VerificationReport {
  status: VerificationStatus;
  findings: Finding[];
  /** Findings not listed because of a cap. */
  omittedFindings?: number;
  deposit: VerifiedDeposit;
}
