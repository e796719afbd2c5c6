// Decorates the app with the preHandler of the heartbeat and leave routes: in a signed room it
// verifies the token and puts its sub in the body as the viewer. With no key configured every
// room is open and the routes get no hook at all, so open rooms pay nothing.
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import {
  createPresenceTokenVerifier,
  type PresenceClaims,
  type PresenceTokenVerifier,
} from './presence-token.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler hooks of POST /v1/heartbeat and /v1/leave; [] when every room is open. */
    presenceTokenHooks: preHandlerAsyncHookHandler[];
    /** Checks presence tokens; null when every room is open. */
    presenceTokens: PresenceTokenVerifier | null;
  }
  interface FastifyRequest {
    /** True when the request is for a signed room and carried a valid token. */
    signedRoom: boolean;
    /** The token's claims, when the request is for a signed room (set with signedRoom). */
    presenceClaims: PresenceClaims | null;
  }
}

/** The fields of a heartbeat or leave body that the token check reads and writes. */
interface PresenceBody {
  room: string;
  token?: string;
  viewer?: string;
}

export default fp(
  async (app: FastifyInstance, { config }: { config: Config }) => {
    const signed = config.signedRooms;
    app.decorateRequest('signedRoom', false);
    app.decorateRequest('presenceClaims', null);
    if (!signed) {
      app.decorate('presenceTokenHooks', []);
      app.decorate('presenceTokens', null);
      return;
    }
    const verifier = await createPresenceTokenVerifier(signed);
    app.log.info(
      { signedRooms: signed.rooms, kids: signed.secrets.map((s) => s.kid ?? '(none)') },
      'signed rooms: heartbeats and leaves there need a token',
    );
    const checkToken: preHandlerAsyncHookHandler = async (request) => {
      const body = request.body as PresenceBody;
      if (!verifier.isSigned(body.room)) return;
      // The viewer is the one the site's backend vouched for, whatever the body said.
      const claims = await verifier.claimsOf(body.token, body.room);
      body.viewer = claims.viewer;
      request.presenceClaims = claims;
      request.signedRoom = true;
    };
    app.decorate('presenceTokenHooks', [checkToken]);
    app.decorate('presenceTokens', verifier);
  },
  { name: 'presence-token' },
);
