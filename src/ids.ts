// What an id of a room, session or viewer may be (SPEC): letters, digits and . _ : @ -, at most
// 128 characters. Written once here; the route schemas, the configuration and the token check
// all use it.

/** The characters of an id, as a regular expression character class body. */
const idCharacters = 'A-Za-z0-9._:@-';

/** The longest id. */
export const maxIdLength = 128;

/** An id's pattern for JSON Schema (the length is checked by minLength and maxLength). */
export const idPattern = `^[${idCharacters}]+$`;

/** The pattern of a prefix of ids, which may be empty. */
export const idPrefixPattern = `^[${idCharacters}]*$`;

const id = new RegExp(`^[${idCharacters}]{1,${maxIdLength}}$`);

/** True for a valid room, session or viewer id. */
export const isId = (text: string): boolean => id.test(text);

/** What a room id must be, in words, for error messages. */
export const roomIdRule = `room must be 1-${maxIdLength} characters of A-Z a-z 0-9 . _ : @ -`;
