// GET /v1/rooms/:room/viewers: who is here (SPEC 9). A page of the room's online list, or which of
// some viewers are online (`ids`). Members of a signed room read it with their presence token, the
// admin reads any room; an open room's list is the admin's alone, as its ids are whatever pages
// claimed. Private and conditional: an ETag per answer, 304, and the count's poll interval.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { maxNameLength } from '../auth/presence-token.js';
import { HttpError } from '../errors.js';
import { fieldRules, isId } from '../ids.js';
import type { ViewerPosition, ViewersPage } from '../presence/store.js';
import { notModified, sendJson } from './cache.js';
import { errorResponses, RoomId, RoomParams } from './schemas.js';

/** The most viewers a page holds, and the most ids one call may ask about. */
export const maxViewersPerPage = 100;

const Viewer = Type.Object({
  id: Type.String({
    description:
      "The viewer id (a signed room: the token's sub); `~<session>` for a page that named none.",
  }),
  name: Type.Union([Type.String({ maxLength: maxNameLength }), Type.Null()], {
    description: 'Display name from the latest token naming the viewer (plain text); null if none.',
  }),
  since: Type.String({
    format: 'date-time',
    description: "When the viewer's current online stretch began (ISO 8601, UTC).",
  }),
  visible: Type.Boolean({ description: 'Whether any of its online tabs is in the foreground.' }),
  tabs: Type.Integer({ minimum: 1, description: 'Its online sessions (open tabs).' }),
  verified: Type.Boolean({
    description:
      "True in a signed room (the site's backend vouched for the id); false in an open one.",
  }),
});

const ViewersList = Type.Object({
  room: RoomId,
  viewers: Type.Array(Viewer, { description: 'Listed online viewers, by since then id.' }),
  hidden: Type.Integer({ description: 'Online viewers who asked not to be listed.' }),
  total: Type.Integer({ description: "Online viewers, listed or not: the count's viewers." }),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Ask with cursor=this for the next page; null on the last page.',
  }),
  at: Type.String({ format: 'date-time', description: 'Store time of the reading.' }),
});

const OnlineList = Type.Object({
  online: Type.Array(Type.String(), {
    description: 'Those of the ids asked for that are online and listed, in the order asked.',
  }),
  at: Type.String({ format: 'date-time', description: 'Store time of the reading.' }),
});

/** A cursor is the position of a page's last viewer, opaque to clients. */
const cursorOf = ({ since, id }: ViewerPosition) =>
  Buffer.from(`${since}|${id}`).toString('base64url');

function positionOf(cursor: string): ViewerPosition {
  const text = Buffer.from(cursor, 'base64url').toString();
  const bar = text.indexOf('|');
  const [since, id] = [text.slice(0, bar), text.slice(bar + 1)];
  if (bar < 0 || !/^\d{1,15}$/.test(since) || !isViewerMember(id)) {
    throw new HttpError('invalid_cursor', 'cursor must be a next_cursor of an earlier page');
  }
  return { since: Number(since), id };
}

/** A viewer id, or `~` and a session id (a page that named no viewer). */
const isViewerMember = (id: string) => isId(id.startsWith('~') ? id.slice(1) : id);

const hash = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 16);

const viewersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const adminToken = createHash('sha256').update(app.config.adminToken).digest();
  const isAdmin = (token: string) =>
    timingSafeEqual(createHash('sha256').update(token).digest(), adminToken);

  /** Whether the caller may read the room's list, and whether its ids are vouched for. */
  async function verified(request: FastifyRequest, room: string): Promise<boolean> {
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    const bearer = scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
    const signed = app.presenceTokens?.isSigned(room) ?? false;
    if (bearer !== undefined && isAdmin(bearer)) return signed;
    if (!signed) {
      throw new HttpError(
        'list_forbidden',
        'this room is open: its online list is for the admin token only, as its ids are whatever pages claimed',
      );
    }
    if (bearer === undefined) {
      throw new HttpError(
        'list_forbidden',
        'send Authorization: Bearer with a presence token for this room (or the admin token)',
      );
    }
    await app.presenceTokens!.claimsOf(bearer, room);
    return true;
  }

  const cacheHeaders = {
    'cache-control': `private, max-age=${app.config.countMaxAgeS}`,
    vary: 'Authorization',
    'headcount-poll-interval': String(app.config.countPollS),
  };

  app.get(
    '/v1/rooms/:room/viewers',
    {
      schema: {
        summary: 'Who is here: a page of the online list, or which of some viewers are online',
        description:
          'Members of a signed room read it with their presence token (Authorization: Bearer); the admin token reads any room. Viewers whose token says listed: false are counted in total and hidden, and never appear.',
        operationId: 'getViewers',
        tags: ['presence'],
        security: [{ bearer: [] }],
        params: RoomParams,
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: maxViewersPerPage, default: 100 }),
          cursor: Type.Optional(
            Type.String({ minLength: 1, maxLength: 400, description: 'next_cursor of a page.' }),
          ),
          ids: Type.Optional(
            Type.String({
              minLength: 1,
              description: `Comma-separated viewer ids (at most ${maxViewersPerPage}): answers which are online.`,
            }),
          ),
        }),
        response: {
          200: Type.Union([ViewersList, OnlineList]),
          304: Type.Null(),
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { room } = request.params;
      const { limit, cursor, ids } = request.query;
      if (ids !== undefined && cursor !== undefined) {
        throw new HttpError('invalid_query', 'ask for ids or for a page (cursor), not both');
      }
      const asked = ids === undefined ? null : [...new Set(ids.split(','))];
      if (asked && asked.length > maxViewersPerPage) {
        throw new HttpError('too_many_ids', `ask for at most ${maxViewersPerPage} ids per call`);
      }
      const bad = asked?.find((id) => !isViewerMember(id));
      if (bad !== undefined) {
        throw new HttpError('invalid_viewer', `${fieldRules.viewer} (got "${bad}")`);
      }
      const after = cursor === undefined ? null : positionOf(cursor);
      const vouched = await verified(request, room);

      let json: string;
      if (asked) {
        const { online, at } = await app.store.onlineViewers(room, asked);
        json = JSON.stringify({ online, at: new Date(at).toISOString() });
      } else {
        json = listJson(room, await app.store.viewers(room, { limit, after }), vouched);
      }
      // The tag leaves out the time of the reading, so that an unchanged list is a 304.
      const tag = `W/"${hash(json.replace(/"at":"[^"]*"}$/, ''))}"`;
      if (notModified(request, reply, tag, cacheHeaders)) return reply;
      return sendJson(reply, json);
    },
  );
};

/** A page as the API answers it, fields in the schema's order. */
function listJson(room: string, page: ViewersPage, verified: boolean): string {
  return JSON.stringify({
    room,
    viewers: page.viewers.map((v) => ({
      id: v.id,
      name: v.name,
      since: new Date(v.since).toISOString(),
      visible: v.visible,
      tabs: v.tabs,
      verified,
    })),
    hidden: page.hidden,
    total: page.total,
    next_cursor: page.next ? cursorOf(page.next) : null,
    at: new Date(page.at).toISOString(),
  });
}

export default viewersRoutes;
