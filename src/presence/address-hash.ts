// Client addresses as the presence store sees them: hashed with a salt that changes every UTC day,
// so that how concentrated a room is can be known without keeping an address anywhere. The salt
// of a day is made by the first instance that asks and shared through the store (so that every
// instance hashes an address alike), and it leaves the store a day or two after its day: a hash
// of last week can no longer be matched to an address by anyone, the operator included.
import { hash } from 'node:crypto';
import type { SaltSource } from './store.js';

const DAY_MS = 86_400_000;
/** How often today's and tomorrow's salts are fetched again (a failure is retried then). */
const REFRESH_MS = 15 * 60_000;

/** The UTC day of a time, as the salt source names it. */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface AddressHasherOptions {
  /** Told when a day's salt cannot be had (the store is down): addresses go unhashed then. */
  onError?: (err: unknown) => void;
  clock?: () => number;
}

export class AddressHasher {
  private readonly salts = new Map<string, string>();
  /** The UTC day of the latest hash, and when it began (ms). */
  private day = '';
  private dayFrom = Number.NEGATIVE_INFINITY;
  private askedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;

  constructor(
    private readonly source: SaltSource,
    private readonly options: AddressHasherOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** Fetches today's and tomorrow's salts, then again every quarter of an hour. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Today's and tomorrow's salts, so that midnight finds the next one in hand. */
  async refresh(): Promise<void> {
    const now = this.clock();
    const days = [dayOf(now), dayOf(now + DAY_MS)];
    await Promise.all(
      days.map(async (day) => {
        if (this.salts.has(day)) return;
        try {
          this.salts.set(day, await this.source.daySalt(day));
        } catch (err) {
          this.options.onError?.(err);
        }
      }),
    );
    for (const day of this.salts.keys()) if (!days.includes(day)) this.salts.delete(day);
  }

  /**
   * The address's hash for today: 16 base64url characters (96 bits) of the SHA-256 of the day's
   * salt followed by the address, in one call (about 0.7 µs; a cache of hashes would cost more on
   * a miss than it saves on a hit). Undefined while the day's salt is not in hand (the store was
   * down since the day began): the heartbeat then counts for no address, and no cap applies to it.
   */
  hash(address: string): string | undefined {
    const now = this.clock();
    // The day's name is made again only when the day turns, not on every heartbeat.
    if (now < this.dayFrom || now >= this.dayFrom + DAY_MS) {
      this.dayFrom = now - (now % DAY_MS);
      this.day = dayOf(now);
    }
    const day = this.day;
    const salt = this.salts.get(day);
    if (salt === undefined) {
      // Asked again at most once a minute until it comes.
      if (now - this.askedAt >= 60_000) {
        this.askedAt = now;
        void this.refresh();
      }
      return undefined;
    }
    return hash('sha256', salt + address, 'base64url').slice(0, 16);
  }
}
