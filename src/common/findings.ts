/**
 * Findings: what checks return instead of throwing. A check keeps going after a finding so
 * one run reports every problem; the caller (CLI, agent) decides the outcome and exit status.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable code; ICANN RST's error name where one exists (e.g. RDE_OBJECT_COUNT_MISMATCH). */
  code: string;
  severity: Severity;
  /** Object identifier (domain name, host roid, contact id …); never personal data. */
  object?: string;
  /** Where: file, line:column, table, element path. */
  location?: string;
  message: string;
}

/** Collects findings with a cap so a pathological input cannot exhaust memory. */
export class FindingList {
  readonly items: Finding[] = [];
  private dropped = 0;
  private readonly counts = new Map<Severity, number>();

  constructor(private readonly max = 10_000) {}

  add(finding: Finding): void {
    this.counts.set(finding.severity, (this.counts.get(finding.severity) ?? 0) + 1);
    if (this.items.length < this.max) this.items.push(finding);
    else this.dropped++;
  }

  count(severity: Severity): number {
    return this.counts.get(severity) ?? 0;
  }

  get errors(): number {
    return this.count('error');
  }

  /** Findings not kept because the cap was reached. */
  get omitted(): number {
    return this.dropped;
  }
}
