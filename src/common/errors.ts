/**
 * Errors with stable codes.
 *
 * Every error Strongroom raises on purpose is a `StrongroomError` whose `code` is listed in
 * ERROR_CODES below. The code is part of the public interface: scripts match on it (the CLI
 * prints it and `--json` output carries it) and the CLI maps its category to an exit status
 * (see EXIT_STATUS). Messages name what failed and where; they never contain secrets or
 * personal data beyond object identifiers.
 */

/** Categories decide the CLI exit status. */
export type ErrorCategory =
  | 'usage' // bad command line or arguments
  | 'config' // configuration file or key material unusable
  | 'input' // bad input data (a deposit, an XML file, a database row)
  | 'integrity' // signatures, hashes, decryption, tampering
  | 'database' // database unreachable, migration failed, SQL error
  | 'io' // file system, network, transports
  | 'refused' // a safety rule refused the operation (consent, non-empty target, lock held)
  | 'findings' // a check ran and found problems (verification FAIL)
  | 'internal';

/** Exit statuses of the `strongroom` command, documented in every command's --help. */
export const EXIT_STATUS: Readonly<Record<ErrorCategory | 'ok', number>> = {
  ok: 0,
  findings: 1,
  usage: 2,
  config: 3,
  input: 4,
  integrity: 5,
  database: 6,
  io: 7,
  refused: 8,
  internal: 70,
};

/**
 * The registry of error codes. Add new codes here (one line each, grouped by stage); never
 * rename or reuse one.
 */
export const ERROR_CODES = {
  // general
  USAGE: 'usage',
  INTERNAL: 'internal',
  CONFIG_INVALID: 'config',
  TOOL_MISSING: 'config',
  INTERRUPTED: 'io',
  // databases
  DB_SPEC_INVALID: 'usage',
  DB_CONNECT_FAILED: 'database',
  DB_QUERY_FAILED: 'database',
  DB_MIGRATION_FAILED: 'database',
  DB_SCHEMA_MISSING: 'database',
  DB_NOT_EMPTY: 'refused',
  // generator
  GENERATE_INVALID_ARGUMENT: 'usage',
  // deposits (writing)
  DEPOSIT_INVALID_ARGUMENT: 'usage',
  DEPOSIT_WATERMARK_UNHONOURABLE: 'refused',
  DEPOSIT_PREFLIGHT_FAILED: 'findings',
  DEPOSIT_TARGET_EXISTS: 'refused',
  DEPOSIT_NO_SUCH_TLD: 'input',
  // ryde: sealing and opening RyDE files (src/ryde)
  RYDE_INVALID_ARGUMENT: 'usage',
  RYDE_NAME_INVALID: 'input',
  RYDE_SIZE_MISMATCH: 'input',
  RYDE_TARGET_EXISTS: 'refused',
  RYDE_UNSUPPORTED: 'input',
  RYDE_PROFILE_VIOLATION: 'integrity',
  RYDE_PACKET_MALFORMED: 'integrity',
  RYDE_TRUNCATED: 'integrity',
  RYDE_TRAILING_DATA: 'integrity',
  RYDE_TAR_INVALID: 'integrity',
  RYDE_NOT_A_RECIPIENT: 'integrity',
  RYDE_SESSION_KEY_FAILED: 'integrity',
  RYDE_MDC_MISMATCH: 'integrity',
  RYDE_AEAD_FAILED: 'integrity',
  RYDE_DECOMPRESS_FAILED: 'integrity',
  RYDE_SIGNATURE_MISSING: 'integrity',
  RYDE_SIGNATURE_MALFORMED: 'integrity',
  RYDE_SIGNATURE_BAD: 'integrity',
  RYDE_SIGNATURE_WRONG_KEY: 'integrity',
  RYDE_PART_MISSING: 'integrity',
  RYDE_PART_DUPLICATE: 'input',
  RYDE_PART_MISPLACED: 'integrity',
  RYDE_PART_FOREIGN: 'input',
  RYDE_PART_CHANGED: 'integrity',
  RYDE_SPOOL_CORRUPT: 'integrity',
  // keys and keyrings (src/ryde/keys.ts, keyring.ts)
  KEY_UNREADABLE: 'config',
  KEY_NOT_SECRET: 'config',
  KEY_LOCKED: 'config',
  KEY_EXPIRED: 'config',
  KEY_REVOKED: 'config',
  KEY_WRONG_PURPOSE: 'config',
  KEY_WEAK: 'config',
  KEY_PROFILE_MISMATCH: 'config',
  KEY_NOT_PINNED: 'config',
  KEY_NOT_FOUND: 'config',
  KEYRING_INVALID: 'config',
  // transports
  TRANSPORT_NAME_INVALID: 'usage',
  TRANSPORT_EXISTS: 'refused',
  TRANSPORT_NOT_FOUND: 'io',
  TRANSPORT_IO: 'io',
  TRANSPORT_VERIFY_FAILED: 'integrity',
  // sources and deposits (deposit branch)
  SOURCE_INVALID_ROW: 'input',
  DEPOSIT_ALREADY_RECORDED: 'refused',
  DEPOSIT_IN_PROGRESS: 'refused',
  DEPOSIT_QUARANTINE_CAP_EXCEEDED: 'findings',
  DEMO_DIR_NOT_EMPTY: 'refused',
  // deposit --seal and the demo's seal/unseal round trip (sealwire branch)
  DEMO_ROUNDTRIP_MISMATCH: 'integrity',
  // scheduler (src/scheduler)
  SCHEDULER_LOCKED: 'refused',
  SCHEDULER_STATE_INVALID: 'config',
  SCHEDULER_NOTHING_TO_RESEND: 'refused',
  // daemon: the real deposit steps, `strongroom daemon|status|resend` (daemon branch)
  SCHEDULER_TYPE_UNAVAILABLE: 'refused',
  SCHEDULER_CHAIN_BROKEN: 'refused',
  SCHEDULER_STAGE_LOST: 'integrity',
  SCHEDULER_DELIVERY_CONFLICT: 'refused',
  SCHEDULER_JOB_UNKNOWN: 'usage',
  // deposit reader and rebuild (reader branch)
  READER_INVALID_XML: 'input',
  READER_INVALID_DEPOSIT: 'input',
  READER_INVALID_OBJECT: 'input',
  REBUILD_INVALID_ARGUMENT: 'usage',
  REBUILD_TARGET_NOT_EMPTY: 'refused',
  REBUILD_CHECK_FAILED: 'findings',
  REBUILD_UNSUPPORTED_DEPOSIT: 'input',
  REBUILD_CHAIN_BROKEN: 'input',
  // rebuild from a chain of deposits (chain branch): which chain rule a refused chain breaks
  REBUILD_CHAIN_BASE: 'input',
  REBUILD_CHAIN_TYPE: 'input',
  REBUILD_CHAIN_ORDER: 'input',
  REBUILD_CHAIN_TLD: 'input',
  REBUILD_CHAIN_DUPLICATE: 'input',
  COMPARE_DIFFERENT: 'findings',
  // ICANN reporting (src/reporting): rdeReport, the registry-interfaces client, notifications to ICANN
  REPORT_INVALID_ARGUMENT: 'usage',
  REPORT_DEPOSIT_NOT_FOUND: 'input',
  REPORT_DEPOSIT_INVALID: 'input',
  REPORT_CREDENTIALS_MISSING: 'config',
  REPORT_AUTH_FAILED: 'config',
  REPORT_ENDPOINT_INVALID: 'config',
  REPORT_REFUSED: 'refused',
  REPORT_TRANSPORT_FAILED: 'io',
  REPORT_RESPONSE_INVALID: 'io',
  REPORT_NOT_CONFIRMED: 'io',
  // notifications (src/notify): email and webhooks
  NOTIFY_CONFIG_INVALID: 'config',
  NOTIFY_SECRET_MISSING: 'config',
  NOTIFY_SMTP_AUTH_FAILED: 'config',
  NOTIFY_SMTP_FAILED: 'io',
  NOTIFY_SMTP_REJECTED: 'refused',
  NOTIFY_WEBHOOK_FAILED: 'io',
  NOTIFY_WEBHOOK_REJECTED: 'refused',
  NOTIFY_DELIVERY_FAILED: 'io',
  NOTIFY_EVENT_INVALID: 'input',
  NOTIFY_SMTP_TLS_FAILED: 'config',
  // transports branch: SFTP/S3/memory transports, retries, destinations, consent, configuration
  TRANSPORT_HOSTKEY_UNKNOWN: 'refused',
  TRANSPORT_HOSTKEY_CHANGED: 'integrity',
  TRANSPORT_AUTH_FAILED: 'config',
  TRANSPORT_CONNECT_FAILED: 'io',
  TRANSPORT_FAULT_INJECTED: 'io',
  TRANSPORT_RETRIES_EXHAUSTED: 'io',
  TRANSPORT_URL_INVALID: 'config',
  TRANSPORT_COOLDOWN: 'refused',
  DESTINATION_NOT_CONSENTED: 'refused',
  DESTINATION_FILE_REFUSED: 'refused',
  DESTINATION_UNKNOWN: 'usage',
  CONFIG_NOT_FOUND: 'config',
  CONFIG_SECRET_UNREADABLE: 'config',
  PULL_UNVERIFIABLE: 'findings',
  PULL_CONFLICT: 'findings',
  // escrow agent (src/agent)
  AGENT_INVALID_ARGUMENT: 'usage',
  AGENT_NOT_FOUND: 'input',
  AGENT_OBJECT_MISMATCH: 'integrity',
  AGENT_OBJECT_MISSING: 'integrity',
  AGENT_TARGET_EXISTS: 'refused',
  AGENT_LOCKED: 'refused',
  AGENT_AUDIT_BROKEN: 'integrity',
  AGENT_VERIFY_FAILED: 'findings',
  AGENT_LIMIT_EXCEEDED: 'integrity',
  AGENT_OVERDUE: 'findings',
  AGENT_RELEASE_NOT_APPROVED: 'refused',
  AGENT_CONFIG_INVALID: 'config',
  // PostgreSQL backups (src/pg-backup)
  PG_TOOL_FAILED: 'database',
  PG_SERVER_FAILED: 'database',
  PG_TAR_INVALID: 'integrity',
  PG_BACKUP_INTEGRITY: 'integrity',
  PG_OBJECT_INCOMPLETE: 'integrity',
  PG_WAL_NAME_INVALID: 'usage',
  PG_WAL_NOT_FOUND: 'io',
  PG_WAL_CONFLICT: 'refused',
  PG_WAL_GAP: 'integrity',
  PG_NO_BACKUP: 'input',
  PG_RESTORE_TARGET_EXISTS: 'refused',
  PG_UNSUPPORTED: 'input',
  PG_DRILL_FAILED: 'findings',
  // change journal, DIFF/INCR/thin deposits, churn workloads (diff branch)
  DEPOSIT_NO_BASE: 'refused',
  JOURNAL_INCOMPLETE: 'refused',
  JOURNAL_NO_SUCH_DEPOSIT: 'input',
  CHURN_INVALID_ARGUMENT: 'usage',
  PG_STATE_UNREADABLE: 'io',
  // files
  FILE_NOT_FOUND: 'io',
  FILE_WRITE_FAILED: 'io',
} as const satisfies Record<string, ErrorCategory>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetails {
  /** Where: a file path, a line/column, a table, an object id. */
  location?: string;
  cause?: unknown;
  /** Extra machine-readable data for --json output. */
  data?: Record<string, unknown>;
}

export class StrongroomError extends Error {
  readonly code: ErrorCode;
  readonly location: string | undefined;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.location = details.location;
    this.data = details.data;
  }

  override get name(): string {
    return 'StrongroomError';
  }

  get category(): ErrorCategory {
    return ERROR_CODES[this.code];
  }

  get exitStatus(): number {
    return EXIT_STATUS[this.category];
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.location === undefined ? {} : { location: this.location }),
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

export function isStrongroomError(err: unknown, code?: ErrorCode): err is StrongroomError {
  return err instanceof StrongroomError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for wrapping foreign errors. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
