// The archive's schema: one barrel over the table groups, used by the client, the migrations and drizzle-kit.
export * from './live-periods.js';
export * from './rollups.js';
export * from './snapshots.js';
export * from './webhooks.js';
