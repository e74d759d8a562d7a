/**
 * S3-compatible transport (@aws-sdk/client-s3 + lib-storage): off-site copies of deposits and
 * backups in a bucket, optionally immutable (object lock, compliance mode, `retainUntil`).
 *
 * - Atomic by the store's nature: an object appears only when its PutObject or
 *   CompleteMultipartUpload succeeds; uploads in flight are never listed.
 * - Bodies stream through a hashing stage into lib-storage's multipart `Upload` (parts of
 *   `partSize`, `queueSize` in parallel; memory ≈ partSize × queueSize). The expected size and
 *   SHA-256 are checked when the stream ends, *before* the upload completes: a mismatch aborts
 *   the upload, so nothing wrong is ever committed — this matters with object lock, where a bad
 *   object could not be deleted again.
 * - In transit: with `checksums: 'sha256'` (default) every part carries an x-amz-checksum-sha256
 *   the server verifies on receipt. After the upload: HeadObject's size must match, and with
 *   `verify: 'sha256'` (default) the object is read back and hashed (`verify: 'size'` skips it
 *   for very large objects when the per-part checksums are trusted).
 * - `checksums: 'off'` is for S3-compatible servers that do not implement flexible checksums
 *   (s3rver 3.x in our tests); verification then rests on the read-back.
 * - Overwrite rules: without `overwrite` an existing key is refused (HeadObject first, and
 *   `If-None-Match: *` on the write, which real S3 enforces atomically).
 * Errors: network errors, 5xx and throttling are retryable; 4xx (access denied, bad request) are not.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { TEMP_PREFIX, validateName, type Body, type ObjectInfo, type PutOptions, type PutResult, type Transport } from './transport.js';

export interface S3Options {
  bucket: string;
  /** Key prefix (a "folder") all names live under; no leading '/'. */
  prefix?: string;
  /** Endpoint of an S3-compatible service (https://…); default AWS for `region`. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (most S3-compatible servers need it). Default: true when `endpoint` is set. */
  forcePathStyle?: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size (default 8 MiB; S3's minimum is 5 MiB) and parts in parallel (default 4). */
  partSize?: number;
  queueSize?: number;
  checksums?: 'sha256' | 'off';
  verify?: 'sha256' | 'size';
  /** Object-lock mode used with PutOptions.retainUntil (default COMPLIANCE). */
  lockMode?: 'COMPLIANCE' | 'GOVERNANCE';
  /** Extra client configuration (tests add middleware through `client.middlewareStack`). */
  clientConfig?: Partial<S3ClientConfig>;
}

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export class S3Transport implements Transport {
  readonly kind = 's3';
  readonly description: string;
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3Options) {
    this.prefix = options.prefix ? `${options.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.description = `s3://${options.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.client = new S3Client({
      region: options.region ?? 'us-east-1',
      credentials: options.credentials,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      ...(options.checksums === 'off' ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
      ...options.clientConfig,
    });
  }

  private key(name: string): string {
    return `${this.prefix}${validateName(name)}`;
  }

  private wrap(err: unknown, what: string, location: string): StrongroomError {
    if (isStrongroomError(err)) return err;
    const sdk = err as SdkError;
    const status = sdk.$metadata?.httpStatusCode;
    const retryable = status === undefined ? true : status >= 500 || status === 429 || sdk.name === 'SlowDown' || sdk.name === 'RequestTimeout';
    const code = status === 403 || status === 401 ? 'TRANSPORT_AUTH_FAILED' : 'TRANSPORT_IO';
    return new StrongroomError(code, `${what} on ${this.description}: ${sdk.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${messageOf(err)}`, {
      location,
      cause: err,
      data: { retryable },
    });
  }

  private static notFound(err: unknown): boolean {
    const sdk = err as SdkError;
    return sdk.$metadata?.httpStatusCode === 404 || sdk.name === 'NotFound' || sdk.name === 'NoSuchKey';
  }

  async put(name: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    const key = this.key(name);
    if (!options.overwrite && (await this.stat(name))) {
      throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: key });
    }
    const hash = createHash('sha256');
    let size = 0;
    let sha256 = '';
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
      flush(done) {
        sha256 = hash.digest('hex');
        // Refuse before the upload completes: a wrong object is never committed.
        if (body.size !== undefined && body.size !== size) {
          done(new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the body has ${size} bytes, expected ${body.size}`, { location: key }));
        } else if (body.sha256 !== undefined && body.sha256 !== sha256) {
          done(new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: SHA-256 ${sha256} does not match the expected ${body.sha256}`, { location: key }));
        } else done();
      },
    });
    let source: Readable;
    try {
      source = await body.open();
    } catch (err) {
      throw new StrongroomError('TRANSPORT_IO', `cannot read the body of ${name}: ${messageOf(err)}`, { cause: err, data: { retryable: true } });
    }
    let bodyError: unknown;
    source.once('error', (err) => {
      bodyError = err;
      check.destroy(err);
    });
    source.pipe(check);
    const params: PutObjectCommandInput = {
      Bucket: this.options.bucket,
      Key: key,
      Body: check,
      ...(body.sha256 ? { Metadata: { sha256: body.sha256 } } : {}),
      ...(this.options.checksums === 'off' ? {} : { ChecksumAlgorithm: 'SHA256' as const }),
      ...(options.overwrite ? {} : { IfNoneMatch: '*' }),
      ...(options.retainUntil ? { ObjectLockMode: this.options.lockMode ?? 'COMPLIANCE', ObjectLockRetainUntilDate: options.retainUntil } : {}),
    };
    const upload = new Upload({
      client: this.client,
      params,
      partSize: this.options.partSize ?? 8 * 1024 * 1024,
      queueSize: this.options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      source.destroy();
      const cause = bodyError ?? err;
      if (isStrongroomError(cause)) throw cause;
      if (bodyError !== undefined) throw new StrongroomError('TRANSPORT_IO', `the body of ${name} broke off: ${messageOf(bodyError)}`, { cause: bodyError, location: key, data: { retryable: true } });
      const sdk = err as SdkError;
      if (sdk.$metadata?.httpStatusCode === 412) throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: key });
      throw this.wrap(err, `upload of ${name}`, key);
    }
    const info = await this.stat(name);
    if (!info || info.size !== size) {
      throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the store reports ${info?.size ?? 'no'} bytes after the upload, expected ${size}`, { location: key });
    }
    if (this.options.verify !== 'size') {
      const stored = createHash('sha256');
      for await (const chunk of await this.get(name)) stored.update(chunk as Buffer);
      const actual = stored.digest('hex');
      if (actual !== sha256) throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the stored object has SHA-256 ${actual}, expected ${sha256}`, { location: key });
    }
    return { name, size, sha256 };
  }

  async get(name: string): Promise<Readable> {
    const key = this.key(name);
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return result.Body as Readable;
    } catch (err) {
      if (S3Transport.notFound(err)) throw new StrongroomError('TRANSPORT_NOT_FOUND', `${name} not found in ${this.description}`, { location: key, data: { retryable: false } });
      throw this.wrap(err, `get ${name}`, key);
    }
  }

  async stat(name: string): Promise<ObjectInfo | null> {
    const key = this.key(name);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { name, size: head.ContentLength ?? 0, ...(head.LastModified ? { modified: head.LastModified } : {}) };
    } catch (err) {
      if (S3Transport.notFound(err)) return null;
      throw this.wrap(err, `stat ${name}`, key);
    }
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: `${this.prefix}${prefix}`, ...(token ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw this.wrap(err, `list ${prefix}`, `${this.prefix}${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        const name = object.Key.slice(this.prefix.length);
        if (name.split('/').some((part) => part.startsWith(TEMP_PREFIX))) continue;
        yield { name, size: object.Size ?? 0, ...(object.LastModified ? { modified: object.LastModified } : {}) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async remove(name: string): Promise<void> {
    const key = this.key(name);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (err) {
      if (S3Transport.notFound(err)) return;
      throw this.wrap(err, `remove ${name}`, key);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
