// GET /v1/rooms/:room/badge.svg: an embeddable "N watching" badge for pages without JavaScript.
// Drawn by badge-maker (the library behind shields.io), flat style; cached like the count (ETag,
// Cache-Control, 304).
import { createHash } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { makeBadge } from 'badge-maker';
import { LRUCache } from 'lru-cache';
import { notModified, publicCacheControl } from './cache.js';
import { errorResponses, publicRoute, RoomParams, textResponse } from './schemas.js';

const liveColor = '#4c1';
const emptyColor = '#9f9f9f';
const labelColor = '#555';

/** The badge for a count of viewers, with an optional label in front (badge-maker escapes both). */
export function badgeSvg(viewers: number, label?: string): string {
  return makeBadge({
    message: `${viewers.toLocaleString('en-US')} watching`,
    color: viewers > 0 ? liveColor : emptyColor,
    ...(label ? { label, labelColor } : {}),
    style: 'flat',
  });
}

/**
 * Badges drawn already, by viewers and label: drawing one costs more than the rest of the request,
 * and a room's badge stays the same until its number of viewers changes. About 1 KiB each.
 */
const badges = new LRUCache<string, { svg: string; etag: string }>({ max: 1_000 });

function badge(viewers: number, label: string | undefined): { svg: string; etag: string } {
  const key = `${viewers} ${label ?? ''}`;
  let drawn = badges.get(key);
  if (drawn === undefined) {
    const svg = badgeSvg(viewers, label);
    drawn = { svg, etag: `W/"${createHash('sha1').update(svg).digest('base64url').slice(0, 16)}"` };
    badges.set(key, drawn);
  }
  return drawn;
}

const BadgeQuery = Type.Object({
  label: Type.Optional(
    Type.String({
      maxLength: 40,
      description: 'Text in a grey box before the count, e.g. "live".',
    }),
  ),
});

const badgeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const cacheControl = publicCacheControl(app.config.countMaxAgeS);

  app.get(
    '/v1/rooms/:room/badge.svg',
    {
      schema: {
        summary: 'An SVG badge "N watching" (distinct viewers) for pages without JavaScript',
        operationId: 'getBadge',
        tags: ['presence'],
        ...publicRoute,
        params: RoomParams,
        querystring: BadgeQuery,
        response: {
          200: textResponse('image/svg+xml', 'The badge, an SVG image.'),
          304: Type.Null(),
          ...errorResponses(400, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const count = await app.store.count(request.params.room);
      const { svg, etag } = badge(count.viewers, request.query.label);
      if (notModified(request, reply, etag, cacheControl)) return reply;
      return reply.type('image/svg+xml').send(svg);
    },
  );
};

export default badgeRoutes;
