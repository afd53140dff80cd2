/**
 * The id tags this bridge sent one charger in RemoteStartTransaction: the
 * platform authorised those sessions itself (orders issues a one-off tag per
 * remote start), so the charger's Authorize (AuthorizeRemoteTxRequests) and
 * StartTransaction for them are Accepted without asking the tenant's
 * authority, which never heard of them. Kept per connection, for a day at
 * most and a bounded number: a start is expected within seconds.
 */
export class RemoteStartTags {
  private readonly tags = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = 24 * 3600_000,
    private readonly max = 200,
  ) {}

  remember(idTag: string): void {
    const key = idTag.toUpperCase();
    this.tags.delete(key);
    if (this.tags.size >= this.max) {
      const oldest = this.tags.keys().next();
      if (!oldest.done) this.tags.delete(oldest.value);
    }
    this.tags.set(key, this.now() + this.ttlMs);
  }

  has(idTag: string): boolean {
    const key = idTag.toUpperCase();
    const until = this.tags.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.tags.delete(key);
    return false;
  }
}
