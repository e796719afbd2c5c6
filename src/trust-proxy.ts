// Whose X-Forwarded-For is believed (TRUST_PROXY): a hop count, or the addresses and CIDR ranges
// of trusted proxies; never "every address", which would let any client pick its own address.
import { isIP } from 'node:net';

/** Fastify's trustProxy: false, a hop count, or trusted proxy addresses and CIDR ranges. */
export type TrustProxy = false | number | string[];

/** The most proxy hops a request may have passed through. */
const maxHops = 16;

/** A hop count (0-16, or false), or addresses and CIDR ranges, comma-separated; else undefined. */
export function parseTrustProxy(text: string): TrustProxy | undefined {
  const value = text.trim();
  if (value === 'false' || /^\d+$/.test(value)) {
    const hops = value === 'false' ? 0 : Number(value);
    if (hops <= maxHops) return hops === 0 ? false : hops;
  }
  const entries = value
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return entries.length > 0 && entries.every(isAddressOrRange) ? entries : undefined;
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Fastify's trustProxy option for the configured proxies. A hop count becomes "trust the nearest
 * n addresses" (Fastify itself treats a bare number as "trust none").
 */
export function trustProxyOption(
  trust: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust !== 'number') return trust;
  return (_address, hop) => hop < trust;
}
