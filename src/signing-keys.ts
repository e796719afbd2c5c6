// The keys of signed rooms as the environment gives them: HS256 secrets (PRESENCE_SECRET) and a
// JSON Web Key Set of public keys (PRESENCE_PUBLIC_KEYS). Each parser answers the keys, or
// undefined when the text is not what is allowed (config.ts says what is).
import type { JSONWebKeySet } from 'jose';

export interface PresenceSecret {
  /** The JWT header's kid that selects this secret; null: the secret of tokens without a kid. */
  kid: string | null;
  secret: string;
}

/** Algorithms of tokens signed with a public key. */
export const publicKeyAlgorithms = ['EdDSA', 'RS256', 'ES256'] as const;

/** Shortest HS256 secret, bytes (RFC 7518 section 3.2: at least the hash's size). */
const minSecretBytes = 32;

/**
 * `kid:secret` entries, or one plain secret, comma-separated; every secret at least 32 bytes, each
 * kid once, at most one secret without a kid.
 */
export function parsePresenceSecrets(text: string): PresenceSecret[] | undefined {
  const secrets = text.split(',').map((entry): PresenceSecret => {
    const match = /^([A-Za-z0-9._-]{1,64}):(.+)$/.exec(entry.trim());
    return match ? { kid: match[1]!, secret: match[2]! } : { kid: null, secret: entry.trim() };
  });
  const kids = secrets.map((s) => s.kid ?? '');
  if (new Set(kids).size !== kids.length) return undefined;
  if (secrets.some((s) => Buffer.byteLength(s.secret) < minSecretBytes)) return undefined;
  return secrets;
}

/** A JSON Web Key Set of public keys only, each with a kid and one of publicKeyAlgorithms. */
export function parsePublicKeys(text: string): JSONWebKeySet | undefined {
  let set: { keys?: unknown };
  try {
    set = JSON.parse(text) as { keys?: unknown };
  } catch {
    return undefined;
  }
  const keys = Array.isArray(set.keys) ? (set.keys as Record<string, unknown>[]) : [];
  const usable = (k: Record<string, unknown>) =>
    typeof k.kid === 'string' &&
    (publicKeyAlgorithms as readonly string[]).includes(String(k.alg)) &&
    k.d === undefined;
  return keys.length > 0 && keys.every(usable) ? ({ keys } as JSONWebKeySet) : undefined;
}
