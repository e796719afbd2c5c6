// Presence tokens made the way a site's backend would, with node:crypto rather than jose (the
// library the service verifies with), so that a test cannot pass through a shared mistake.
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const secretA = 'test-presence-secret-a-0123456789abcdef';
export const secretB = 'test-presence-secret-b-0123456789abcdef';

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface Claims {
  room?: unknown;
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
  [claim: string]: unknown;
}

/** Epoch seconds, `offsetS` from now. */
export const epochS = (offsetS = 0) => Math.floor(Date.now() / 1000) + offsetS;

/** A JWT signed with HMAC-SHA256; `header` overrides or adds header fields (kid, alg). */
export function mintHs256(
  claims: Claims,
  secret: string,
  header: Record<string, unknown> = {},
): string {
  const signingInput = `${part({ alg: 'HS256', typ: 'JWT', ...header })}.${part(claims)}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Claims valid for room and viewer for lifetimeS seconds. */
export const claimsFor = (room: string, sub: string, lifetimeS = 300): Claims => ({
  room,
  sub,
  iat: epochS(),
  exp: epochS(lifetimeS),
});

export interface Ed25519Signer {
  /** The public key as a JSON Web Key Set, as PRESENCE_PUBLIC_KEYS takes it. */
  jwks: string;
  mint(claims: Claims): string;
}

/** A fresh Ed25519 key pair; tokens signed with EdDSA under kid. */
export function ed25519Signer(kid: string): Ed25519Signer {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  return {
    jwks: JSON.stringify({ keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }),
    mint(claims) {
      const signingInput = `${part({ alg: 'EdDSA', typ: 'JWT', kid })}.${part(claims)}`;
      const signature = sign(null, Buffer.from(signingInput), privateKey).toString('base64url');
      return `${signingInput}.${signature}`;
    },
  };
}
