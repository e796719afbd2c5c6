// Shapes shared by the routes: ids, counts and the error body. TypeBox gives both the JSON
// schema (validation, serialisation, OpenAPI) and the TypeScript type.
import { Type } from '@fastify/type-provider-typebox';
import { idPattern, maxIdLength, minSessionLength } from '../ids.js';

export { fieldRules } from '../ids.js';

export const RoomId = Type.String({ minLength: 1, maxLength: maxIdLength, pattern: idPattern });
export const SessionId = Type.String({
  minLength: minSessionLength,
  maxLength: maxIdLength,
  pattern: idPattern,
});
export const ViewerId = Type.String({ minLength: 1, maxLength: maxIdLength, pattern: idPattern });
/** A signed room's presence token (SPEC section 7); ignored in open rooms. */
export const PresenceToken = Type.String({
  maxLength: 2048,
  description:
    "A JWT from the site's backend with the claims room, sub (the viewer) and exp; required in signed rooms.",
});
export const State = Type.Union([Type.Literal('visible'), Type.Literal('hidden')]);

export const RoomParams = Type.Object({ room: RoomId });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable machine-readable code, e.g. invalid_room.' }),
      message: Type.String({ description: 'What went wrong and what is allowed.' }),
    }),
  },
  { $id: 'Error' },
);

/**
 * A time that may be null, as one schema with two types rather than an anyOf: the serializer then
 * checks for null instead of validating the value against each branch on every answer.
 */
export const NullableTime = (description: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time', description });

export const Peak = Type.Object({
  sessions: Type.Integer({ description: 'Highest sessions in the current live period.' }),
  viewers: Type.Integer({ description: 'Highest viewers in the current live period.' }),
  at: NullableTime(
    'When the sessions peak was first reached (ISO 8601, UTC); null when the room is empty.',
  ),
});

export const Count = Type.Object({
  room: RoomId,
  sessions: Type.Integer({ description: 'Online sessions (open tabs).' }),
  viewers: Type.Integer({ description: 'Distinct viewers among the online sessions.' }),
  visible: Type.Integer({ description: 'Online sessions whose latest heartbeat said visible.' }),
  peak: Peak,
  at: Type.String({
    format: 'date-time',
    description: 'Store time of the reading (ISO 8601, UTC).',
  }),
});

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));

/** A response that is not JSON (a page, a script, an image), documented with its media type. */
export const textResponse = (mediaType: string, description: string) => ({
  description,
  content: { [mediaType.split(';')[0]!]: { schema: Type.String() } },
});

/** Routes anyone may call: no credentials (OpenAPI security: none). */
export const publicRoute = { security: [] };
