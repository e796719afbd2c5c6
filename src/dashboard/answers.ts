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

/**
 * GET /v1/rooms/:room/viewers, a page of who is here. The route keeps its schema to itself, so the
 * answer is written out here; test/dashboard/viewers.test.ts holds these fields to what the route
 * answers.
 */
export interface ViewersAnswer {
  room: string;
  /** Listed online viewers, by since then id. */
  viewers: OnlineViewer[];
  /** Online viewers who asked not to be listed (counted, never listed). */
  hidden: number;
  /** Online viewers, listed or not: the count's viewers. */
  total: number;
  /** The cursor of the next page; null on the last. */
  next_cursor: string | null;
  /** Store time of the reading (ISO 8601, UTC). */
  at: string;
}

export interface OnlineViewer {
  id: string;
  /** Display name from the latest token naming the viewer: plain text, never HTML. */
  name: string | null;
  /** When the viewer's current online stretch began (ISO 8601, UTC). */
  since: string;
  /** Whether any of its tabs is in the foreground. */
  visible: boolean;
  /** Its online sessions. */
  tabs: number;
  /** True in a signed room (the site's backend vouched for the id), false in an open one. */
  verified: boolean;
}
