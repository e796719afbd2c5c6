// How large a request body may be, in bytes: one place for the app, its routes and the error
// that says so.

/** Every request's body (SPEC: 2 KiB). */
export const bodyLimitBytes = 2048;

/** A site's batch of activity (POST /v1/activity): 500 events of the longest room ids fit. */
export const activityBatchLimitBytes = 128 * 1024;
