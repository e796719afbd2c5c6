// When a room counts as concentrated by client address: written once, for the rooms list, the
// metrics and the room.concentrated webhook alike. It never changes a count (rule 8): it says
// how much of a room one address holds, so that a room filled from one place is plain to see.

/** CONCENTRATION_SHARE and CONCENTRATION_MIN_SESSIONS. */
export interface ConcentrationRule {
  /** A room whose busiest address holds more than this share of its sessions is concentrated… */
  share: number;
  /** …when it holds at least this many online sessions. */
  minSessions: number;
}

export interface BusiestAddress {
  /** Online sessions of the busiest address. */
  sessions: number;
  /** Their share of the room's online sessions, to three decimals (0 when the room is empty). */
  share: number;
  concentrated: boolean;
}

export function busiestAddress(
  sessions: number,
  busiest: number,
  rule: ConcentrationRule,
): BusiestAddress {
  const share = sessions > 0 ? busiest / sessions : 0;
  return {
    sessions: busiest,
    share: Math.round(share * 1000) / 1000,
    concentrated: sessions >= rule.minSessions && share > rule.share,
  };
}
