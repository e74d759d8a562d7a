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
