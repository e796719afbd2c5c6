// GET /v1/rooms/:room/badge.svg: an embeddable "N watching" badge for pages without JavaScript.
// Flat, shields-like; cached like the count (ETag, Cache-Control, 304).
import { createHash } from 'node:crypto';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { notModified } from './cache.js';
import { errorResponses, publicRoute, RoomParams, textResponse } from './schemas.js';

const heightPx = 20;
const paddingPx = 6;
const labelColor = '#555';
const liveColor = '#4c1';
const emptyColor = '#9f9f9f';

/** Approximate advance widths of Verdana 11px, the font shields-style badges use, in px. */
function charWidthPx(char: string): number {
  if (/[ijlI.,:;'!|]/.test(char)) return 3.1;
  if (/[frt()[\]/ -]/.test(char)) return 4.3;
  if (/[mw]/.test(char)) return 9.9;
  if (/[MW@%]/.test(char)) return 11.1;
  if (/[0-9a-z#$?_*+=<>~^]/.test(char)) return 6.8;
  return 7.6;
}

export function textWidthPx(text: string): number {
  let width = 0;
  for (const char of text) width += charWidthPx(char);
  return Math.ceil(width);
}

const escapeXml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

interface Segment {
  text: string;
  color: string;
}

/** One coloured box with its centred text; coordinates are scaled by 10 for subpixel precision. */
function segmentSvg(segment: Segment, xPx: number): { svg: string; widthPx: number } {
  const textPx = textWidthPx(segment.text);
  const widthPx = textPx + 2 * paddingPx;
  const centre = (xPx + widthPx / 2) * 10;
  const text = escapeXml(segment.text);
  const attrs = `x="${centre}" transform="scale(.1)" textLength="${textPx * 10}"`;
  return {
    widthPx,
    svg:
      `<rect x="${xPx}" width="${widthPx}" height="${heightPx}" fill="${segment.color}"/>` +
      `<text aria-hidden="true" ${attrs} y="150" fill="#010101" fill-opacity=".3">${text}</text>` +
      `<text ${attrs} y="140">${text}</text>`,
  };
}

/** The badge for a count of viewers, with an optional label in front. */
export function badgeSvg(viewers: number, label?: string): string {
  const message = `${viewers.toLocaleString('en-US')} watching`;
  const segments: Segment[] = [{ text: message, color: viewers > 0 ? liveColor : emptyColor }];
  if (label) segments.unshift({ text: label, color: labelColor });
  let x = 0;
  let body = '';
  for (const segment of segments) {
    const drawn = segmentSvg(segment, x);
    body += drawn.svg;
    x += drawn.widthPx;
  }
  const title = escapeXml(label ? `${label}: ${message}` : message);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${heightPx}" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>' +
    `<clipPath id="r"><rect width="${x}" height="${heightPx}" rx="3" fill="#fff"/></clipPath>` +
    '<g clip-path="url(#r)" fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110">' +
    `${body}<rect width="${x}" height="${heightPx}" fill="url(#s)"/></g></svg>`
  );
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
  const maxAgeS = app.config.countMaxAgeS;

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
      const svg = badgeSvg(count.viewers, request.query.label);
      const etag = `W/"${createHash('sha1').update(svg).digest('base64url').slice(0, 16)}"`;
      if (notModified(request, reply, etag, maxAgeS)) return reply;
      return reply.type('image/svg+xml').send(svg);
    },
  );
};

export default badgeRoutes;
