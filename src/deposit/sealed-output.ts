/**
 * `deposit --seal`: a deposit written straight into RyDE sealing, so that its XML never exists
 * on disk in the clear.
 *
 * The tar header in front of the XML (Spec 2 §4 step 2) needs the deposit's size before its
 * first byte, and the deposit's size is known only once every object has been checked and
 * written. So the XML goes into the encrypted spool (ryde/spool.ts: AES-256-GCM chunks under a
 * key that only this process holds) while pre-flight runs on every object as it is written;
 * only when the verdict is "publish" does `publish()` seal the spooled bytes into
 * `{tld}_{date}_full_S{n}_R{rev}.ryde` + `.sig` (ryde/encoder.ts: temp names, linked into place
 * at the end). On a failed pre-flight, an interruption or any error, `discard()` removes the
 * spool and no .ryde/.sig name ever appears. A SIGKILL leaves ciphertext only (the spool, part
 * temp files), swept by the next run in those directories (ryde/temp.ts).
 */
import { join } from 'node:path';
import { StrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { formatDepositName, openEncryptedSpool, parseDepositName, sealDeposit, type DepositName, type EncryptedSpool, type SealOptions, type SealResult } from '../ryde/index.js';
import { DepositSink, fileExists } from './output.js';

/** How to seal: the keys, profile and sizes of `strongroom seal`, and where to spool. */
export type DepositSealOptions = Omit<SealOptions, 'outDir' | 'progress'> & {
  /** Directory of the encrypted spool (default: ryde/temp.ts `spoolDirectory()`). */
  spoolDir?: string;
};

export class SealedDeposit extends DepositSink {
  /** The sealed parts and signatures, once published. */
  result: SealResult | undefined;

  private constructor(
    private readonly spool: EncryptedSpool,
    private readonly name: DepositName,
    private readonly outDir: string,
    private readonly options: DepositSealOptions,
    private readonly progress: Progress | undefined,
  ) {
    super();
  }

  /** Start a sealed deposit whose XML would be called `xmlName`; refuses when S1's .ryde or .sig exists. */
  static async create(outDir: string, xmlName: string, options: DepositSealOptions, progress?: Progress): Promise<SealedDeposit> {
    const name = { ...parseDepositName(xmlName), part: 1 };
    for (const ext of ['ryde', 'sig'] as const) {
      // Checked again, atomically, when sealing publishes each file (ryde/temp.ts publishTemp).
      const final = join(outDir, formatDepositName(name, ext));
      if (await fileExists(final)) throw new StrongroomError('DEPOSIT_TARGET_EXISTS', `${final} already exists; refusing to replace it (a new deposit for the same watermark is a resend)`, { location: final });
    }
    const spool = await openEncryptedSpool(options.spoolDir ? { dir: options.spoolDir } : {});
    return new SealedDeposit(spool, name, outDir, options, progress);
  }

  get finalPath(): string {
    return join(this.outDir, formatDepositName(this.name, 'ryde'));
  }

  protected emit(chunk: Buffer): Promise<void> {
    // The spool keeps views of what it is given until one of its chunks is full, and the sink
    // reuses its buffer: hand over a copy.
    const copy = Buffer.from(chunk);
    return new Promise((resolve, reject) => {
      this.spool.writable.write(copy, (err) => (err ? reject(err) : resolve()));
    });
  }

  protected close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.spool.writable.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  /** Seal the spooled deposit into its .ryde/.sig files, then drop the spool. */
  async publish(): Promise<void> {
    const { spoolDir: _spoolDir, ...seal } = this.options;
    try {
      this.result = await sealDeposit(
        { name: this.name, size: this.spool.size, source: () => this.spool.read() },
        { ...seal, outDir: this.outDir, ...(this.progress ? { progress: this.progress } : {}) },
      );
    } finally {
      await this.spool.dispose();
    }
  }

  /** Remove the spool (sealing removes its own temp files when it fails). */
  async discard(): Promise<void> {
    await this.spool.dispose();
  }
}
