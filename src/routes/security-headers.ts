// The headers of the pages the service serves itself (the dashboard, the API document at /docs):
// they run only their own scripts, talk only to their own origin, and are never framed.
export const pageSecurityHeaders = {
  'content-security-policy': [
    "default-src 'self'",
    "img-src 'self' data:",
    // uPlot and Swagger UI position elements with inline styles.
    "style-src 'self' 'unsafe-inline'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;
