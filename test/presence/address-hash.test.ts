// Client addresses are hashed with a salt of the UTC day, shared by every instance through the
// store and gone from it the day after; the hash never holds the address.
import { afterAll, describe, expect, it } from 'vitest';
import { AddressHasher, dayOf } from '../../src/presence/address-hash.js';
import { saltKey } from '../../src/presence/keys.js';
import type { SaltSource } from '../../src/presence/store.js';
import { openStore, storeKinds } from '../support/stores.js';

const DAY_MS = 86_400_000;
const noon = Date.UTC(2026, 11, 3, 12);

for (const kind of storeKinds) {
  const opened = await openStore(kind);

  describe.skipIf(!opened)(`client address hashes: ${kind}`, () => {
    const store = opened!.store;
    afterAll(() => opened?.cleanup());

    it('hashes an address alike on every instance of one store, and unlike another address', async () => {
      const clock = () => noon;
      const one = new AddressHasher(store, { clock });
      const two = new AddressHasher(store, { clock });
      await Promise.all([one.refresh(), two.refresh()]);
      const hash = one.hash('203.0.113.7');
      expect(hash).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(two.hash('203.0.113.7')).toBe(hash);
      expect(one.hash('203.0.113.8')).not.toBe(hash);
      expect(hash).not.toContain('203');
    });

    it('takes a new salt at midnight (fetched the day before), so hashes of two days differ', async () => {
      let now = noon;
      const hasher = new AddressHasher(store, { clock: () => now });
      await hasher.refresh();
      const today = hasher.hash('198.51.100.1');
      now = noon + DAY_MS / 2; // just after midnight, before any refresh
      const tomorrow = hasher.hash('198.51.100.1');
      expect(tomorrow).toBeDefined();
      expect(tomorrow).not.toBe(today);
    });

    it.skipIf(kind === 'embedded')(
      "keeps a day's salt in the store only until the day after next",
      async () => {
        await store.daySalt('2026-12-03');
        const ttl = await opened!.client!.pttl(saltKey(opened!.prefix, '2026-12-03'));
        expect(ttl).toBeGreaterThan(2 * DAY_MS);
        expect(ttl).toBeLessThanOrEqual(3 * DAY_MS);
      },
    );
  });
}

describe('client address hashes without the salt', () => {
  it('leaves addresses unhashed while the store cannot give the day its salt, then hashes them', async () => {
    let down = true;
    const errors: unknown[] = [];
    const source: SaltSource = {
      daySalt: async (day) => {
        if (down) throw new Error('store down');
        return `salt-${day}`;
      },
    };
    let now = noon;
    const hasher = new AddressHasher(source, { clock: () => now, onError: (e) => errors.push(e) });
    await hasher.refresh();
    expect(errors).toHaveLength(2);
    expect(hasher.hash('203.0.113.7')).toBeUndefined();
    down = false;
    // Asked again at most once a minute, in the background.
    now += 61_000;
    expect(hasher.hash('203.0.113.7')).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(hasher.hash('203.0.113.7')).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(dayOf(now)).toBe('2026-12-03');
  });
});
