// What an id of a room, session or viewer may be (SPEC): letters, digits and . _ : @ -, up to 128
// characters (a session at least 8). Written once here; the route schemas, the error messages,
// the configuration and the token check all use it.

/** The characters of an id, as the body of a regular expression character class. */
const idCharacters = 'A-Za-z0-9._:@-';

/** The longest id. */
export const maxIdLength = 128;

/** The shortest session id: long enough that two pages never pick the same one by chance. */
export const minSessionLength = 8;

/** An id's pattern for JSON Schema (lengths are checked by minLength and maxLength). */
export const idPattern = `^[${idCharacters}]+$`;

/** The pattern of the beginning of ids, which may be empty (a search by prefix). */
export const idPrefixPattern = `^[${idCharacters}]*$`;

const id = new RegExp(`^[${idCharacters}]{1,${maxIdLength}}$`);

/** True for a valid room or viewer id. */
export const isId = (text: string): boolean => id.test(text);

const characters = 'characters of A-Z a-z 0-9 . _ : - @';

/** Messages a user can act on, one per field of a request; the error handler picks them by name. */
export const fieldRules = {
  room: `room must be 1-${maxIdLength} ${characters}`,
  session: `session must be ${minSessionLength}-${maxIdLength} ${characters}`,
  viewer: `viewer must be 1-${maxIdLength} ${characters}`,
  state: 'state must be "visible" or "hidden"',
  entry: 'entry must be a string of at most 64 characters',
  kind: 'kind must match ^[a-z][a-z0-9_-]{0,31}$ (a-z, then at most 31 of a-z 0-9 _ -)',
  n: 'n must be a whole number of events from 1 to 1000',
  events: 'events must be an array of 1 to 500 events {room, kind, n}',
} as const;
