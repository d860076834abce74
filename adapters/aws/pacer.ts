/**
 * Spaces calls to at most `perSecond`. FilterLogEvents allows 10-25 calls a second per
 * account (DESIGN.md), shared by every caller, so history queries go slower than that.
 */
export class Pacer {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private next = 0;

  constructor(
    perSecond: number,
    now: () => number = Date.now,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  ) {
    this.intervalMs = 1000 / perSecond;
    this.now = now;
    this.sleep = sleep;
  }

  /** Resolves when the caller may make its next call. */
  async turn(): Promise<void> {
    const t = this.now();
    const at = Math.max(t, this.next);
    this.next = at + this.intervalMs;
    if (at > t) await this.sleep(at - t);
  }
}
