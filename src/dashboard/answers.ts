// The API's answers as the dashboard reads them: the types of the routes' response schemas,
// imported as types only, so the browser bundle holds none of the server's code.
import type { Static } from '@fastify/type-provider-typebox';
import type { Entries } from '../routes/entries.js';
import type { History } from '../routes/history.js';
import type { Periods } from '../routes/periods.js';
import type { RoomsPage } from '../routes/rooms.js';
import type { Count } from '../routes/schemas.js';

/** GET /v1/rooms/:room/count, and each room of GET /v1/rooms. */
export type RoomCount = Static<typeof Count>;
/** GET /v1/rooms. */
export type RoomsAnswer = Static<typeof RoomsPage>;
/** One room of GET /v1/rooms: its count and its busiest client address. */
export type ListedRoom = RoomsAnswer['rooms'][number];
export type BusiestAddress = ListedRoom['busiest_address'];
/** GET /v1/rooms/:room/history. */
export type HistoryAnswer = Static<typeof History>;
export type HistoryPoint = HistoryAnswer['points'][number];
/** GET /v1/rooms/:room/periods. */
export type PeriodsAnswer = Static<typeof Periods>;
export type Period = PeriodsAnswer['periods'][number];
/** GET /v1/rooms/:room/entries. */
export type EntriesAnswer = Static<typeof Entries>;
export type EntryJoins = EntriesAnswer['entries'][number];
