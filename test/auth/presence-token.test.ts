// The verifier behind signed rooms, without HTTP: which rooms are signed, and a remembered
// token that still expires on time and still names only its own rooms.
import { describe, expect, it } from 'vitest';
import { createPresenceTokenVerifier, roomMatcher } from '../../src/auth/presence-token.js';
import { HttpError } from '../../src/errors.js';
import { claimsFor, epochS, mintHs256, secretA } from '../support/tokens.js';

const options = { rooms: ['*'], secrets: [{ kid: null, secret: secretA }], publicKeys: null };

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected the token to be refused');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(HttpError);
      return (err as HttpError).code;
    },
  );

describe('which rooms are signed', () => {
  it('matches room ids exactly and prefixes ending in *', () => {
    const signed = roomMatcher(['members', 'live-*']);
    expect(['members', 'live-', 'live-42'].map(signed)).toEqual([true, true, true]);
    expect(['member', 'members-2', 'live', 'Live-42', 'open'].map(signed)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(roomMatcher(['*'])('anything')).toBe(true);
  });
});

describe('the presence token verifier', () => {
  it('refuses a remembered token once it has expired', async () => {
    let nowMs = Date.now();
    const verifier = await createPresenceTokenVerifier({
      ...options,
      clockToleranceS: 0,
      nowMs: () => nowMs,
    });
    const token = mintHs256({ ...claimsFor('room-1', 'viewer-1'), exp: epochS(2) }, secretA);
    expect((await verifier.claimsOf(token, 'room-1')).viewer).toBe('viewer-1');
    nowMs += 1_000;
    expect((await verifier.claimsOf(token, 'room-1')).viewer).toBe('viewer-1');
    nowMs += 1_100;
    expect(await refusal(verifier.claimsOf(token, 'room-1'))).toBe('invalid_token');
  });

  it('refuses a remembered token in a room its claim does not name', async () => {
    const verifier = await createPresenceTokenVerifier(options);
    const token = mintHs256(claimsFor('room-1', 'viewer-1'), secretA);
    expect((await verifier.claimsOf(token, 'room-1')).viewer).toBe('viewer-1');
    expect(await refusal(verifier.claimsOf(token, 'room-2'))).toBe('invalid_token');
  });

  it('says what is wrong in words a site developer can act on', async () => {
    const verifier = await createPresenceTokenVerifier(options);
    const messageOf = (token: string | undefined) =>
      verifier.claimsOf(token, 'room-1').then(
        () => '',
        (err: HttpError) => err.message,
      );
    expect(await messageOf(undefined)).toMatch(/send token/);
    expect(
      await messageOf(mintHs256({ ...claimsFor('room-1', 'v'), exp: epochS(-60) }, secretA)),
    ).toMatch(/expired/);
    expect(
      await messageOf(mintHs256({ ...claimsFor('room-1', 'v'), nbf: epochS(60) }, secretA)),
    ).toMatch(/not valid yet/);
    expect(await messageOf(mintHs256(claimsFor('room-2', 'v'), secretA))).toMatch(/another room/);
    expect(await messageOf(mintHs256(claimsFor('room-1', 'v'), `${secretA}x`))).toMatch(
      /not signed with a key this service accepts/,
    );
    expect(await messageOf('a.b')).toMatch(/well-formed/);
  });
});

describe('what a token says of its viewer for the online list', () => {
  const claimsOf = async (extra: Record<string, unknown>) => {
    const verifier = await createPresenceTokenVerifier(options);
    return verifier.claimsOf(
      mintHs256({ ...claimsFor('room-1', 'ada'), ...extra }, secretA),
      'room-1',
    );
  };

  it('takes the name and listed claims, listed unless the token says false', async () => {
    expect(await claimsOf({})).toEqual({ viewer: 'ada', name: undefined, listed: true });
    expect(await claimsOf({ name: 'Ada <b>', listed: false })).toEqual({
      viewer: 'ada',
      name: 'Ada <b>',
      listed: false,
    });
    expect((await claimsOf({ name: 'é'.repeat(64) })).name).toHaveLength(64);
  });

  it('refuses a name that is not plain text of 1-64 characters, and a listed that is not a boolean', async () => {
    for (const name of ['', 'x'.repeat(65), 42, 'Ada\nGrace', ['Ada']]) {
      const err = await claimsOf({ name }).catch((e: HttpError) => e);
      expect(err).toBeInstanceOf(HttpError);
      expect((err as HttpError).code).toBe('invalid_token');
      expect((err as HttpError).message).toMatch(/name must be plain text of 1-64/);
    }
    for (const listed of ['false', 0, null]) {
      const err = await claimsOf({ listed }).catch((e: HttpError) => e);
      expect((err as HttpError).message).toMatch(/listed claim must be true or false/);
    }
  });
});
