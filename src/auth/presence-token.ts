// Signed rooms: which rooms need a presence token, and whose token is valid for a room now.
// A token is a JWT minted by the site's own backend; its `sub` is the viewer, so a script on
// the page cannot invent viewers, and every session it adds is tied to a viewer the site vouched for.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { HttpError } from '../errors.js';
import { isId } from '../ids.js';
import { type PresenceSecret, publicKeyAlgorithms } from '../signing-keys.js';

/** Seconds of clock difference allowed between the site's backend and this service. */
export const clockToleranceS = 5;

/**
 * Verified tokens kept so that a page's later heartbeats (a token lives for many of them) skip
 * the signature check; only tokens that passed it get in, and each is re-checked for its time.
 */
const verifiedCacheSize = 10_000;

interface Verified {
  room: unknown;
  sub: unknown;
  name: unknown;
  listed: unknown;
  /** Epoch s. */
  exp: number;
  /** Epoch s; 0 when the token has no nbf. */
  nbf: number;
}

export interface PresenceTokenOptions {
  /** Room ids, or prefixes ending in `*` (`*` alone: every room). */
  rooms: readonly string[];
  /** HS256 secrets, chosen by the token's kid. */
  secrets: readonly PresenceSecret[];
  /** Public keys (EdDSA, RS256, ES256), chosen by kid; null: HS256 only. */
  publicKeys: JSONWebKeySet | null;
  /** Seconds of clock difference allowed for exp and nbf; clockToleranceS by default. */
  clockToleranceS?: number;
  /** This instance's clock (epoch ms) that exp and nbf are checked against; Date.now by default. */
  nowMs?: () => number;
}

/** What a valid token says of its viewer (SPEC 7 and 9). */
export interface PresenceClaims {
  /** The token's sub. */
  viewer: string;
  /** The `name` claim: a display name, plain text of 1-64 characters; undefined when absent. */
  name: string | undefined;
  /** False when the `listed` claim is false: the viewer appears offline (counted, never listed). */
  listed: boolean;
}

/** The longest display name a token may carry, in characters. */
export const maxNameLength = 64;

export interface PresenceTokenVerifier {
  /** True when heartbeats and leaves of this room need a token. Cheap: no crypto. */
  isSigned(room: string): boolean;
  /** The claims of a token valid for this room now; else HttpError invalid_token. */
  claimsOf(token: string | undefined, room: string): Promise<PresenceClaims>;
}

/** True when room is named by one of the patterns: an id, or a prefix ending in `*`. */
export function roomMatcher(patterns: readonly string[]): (room: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const ids = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (room) => ids.has(room) || prefixes.some((prefix) => room.startsWith(prefix));
}

/** A token's room claim covers the room: the same id, or a prefix ending in `*`. */
const claimCovers = (claim: unknown, room: string): boolean =>
  typeof claim === 'string' &&
  (claim.endsWith('*') ? room.startsWith(claim.slice(0, -1)) : claim === room);

/** Plain text: 1-64 characters (code points), none of them a control character. */
const isName = (name: unknown): name is string =>
  typeof name === 'string' &&
  name.length > 0 &&
  [...name].length <= maxNameLength &&
  !/\p{Cc}/u.test(name);

const invalid = (message: string) => new HttpError('invalid_token', message);

/** What a site developer can act on, without saying which secret or key exists. */
function explain(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof errors.JWTExpired) {
    return invalid('the token has expired: get a fresh one from the site backend');
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' || err.claim === 'iat') return invalid('the token is not valid yet');
    return invalid('the token must carry the claims room, sub and exp');
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) {
    return invalid('the token is not a well-formed JWT');
  }
  return invalid('the token was not signed with a key this service accepts');
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
}

export async function createPresenceTokenVerifier(
  options: PresenceTokenOptions,
): Promise<PresenceTokenVerifier> {
  const isSigned = roomMatcher(options.rooms);
  const toleranceS = options.clockToleranceS ?? clockToleranceS;
  const nowMs = options.nowMs ?? Date.now;
  const secrets = new Map<string | null, CryptoKey>();
  for (const { kid, secret } of options.secrets) secrets.set(kid, await hmacKey(secret));
  const publicKeys = options.publicKeys ? createLocalJWKSet(options.publicKeys) : null;
  const algorithms = [
    ...(secrets.size > 0 ? ['HS256'] : []),
    ...(publicKeys ? publicKeyAlgorithms : []),
  ];

  const verify = (token: string) =>
    jwtVerify(
      token,
      async (header, jws) => {
        if (header.alg !== 'HS256') {
          if (!publicKeys)
            throw invalid('the token was not signed with a key this service accepts');
          return publicKeys(header, jws);
        }
        const key = secrets.get(header.kid ?? null);
        if (!key) throw invalid('the token was not signed with a key this service accepts');
        return key;
      },
      {
        algorithms,
        requiredClaims: ['room', 'sub', 'exp'],
        clockTolerance: toleranceS,
        currentDate: new Date(nowMs()),
      },
    );

  const verified = new Map<string, Verified>();
  /** The claims of a token verified before and still within its time, else undefined. */
  const remembered = (token: string): Verified | undefined => {
    const known = verified.get(token);
    if (!known) return undefined;
    const nowS = nowMs() / 1000;
    if (nowS - toleranceS < known.exp && nowS + toleranceS >= known.nbf) return known;
    verified.delete(token);
    return undefined;
  };
  const remember = (token: string, payload: JWTPayload): Verified => {
    const entry = {
      room: payload.room,
      sub: payload.sub,
      name: payload.name,
      listed: payload.listed,
      exp: payload.exp!,
      nbf: payload.nbf ?? 0,
    };
    if (verified.size >= verifiedCacheSize) verified.delete(verified.keys().next().value!);
    verified.set(token, entry);
    return entry;
  };

  return {
    isSigned,
    async claimsOf(token, room) {
      if (!token) throw invalid('this room is signed: send token, a JWT from the site backend');
      let payload = remembered(token);
      if (!payload) {
        try {
          payload = remember(token, (await verify(token)).payload);
        } catch (err) {
          throw explain(err);
        }
      }
      if (!claimCovers(payload.room, room)) throw invalid('the token is for another room');
      const viewer = payload.sub;
      if (typeof viewer !== 'string' || !isId(viewer)) {
        throw invalid('the token sub must be 1-128 characters of A-Z a-z 0-9 . _ : - @');
      }
      const { name, listed } = payload;
      if (name !== undefined && !isName(name)) {
        throw invalid(`the token name must be plain text of 1-${maxNameLength} characters`);
      }
      if (listed !== undefined && typeof listed !== 'boolean') {
        throw invalid('the token listed claim must be true or false');
      }
      return { viewer, name, listed: listed !== false };
    },
  };
}
