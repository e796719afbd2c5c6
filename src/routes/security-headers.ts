// The headers of the pages the service serves itself (the dashboard, the API document at /docs),
// set by @fastify/helmet: they run only their own scripts, talk only to their own origin, and are
// never framed.
import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * Spelled out in full rather than on top of helmet's defaults, whose upgrade-insecure-requests
 * would break a page served over plain HTTP on a LAN address.
 */
export const contentSecurityPolicy = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  // uPlot and Swagger UI position elements with inline styles.
  'style-src': ["'self'", "'unsafe-inline'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** @fastify/helmet's options for every page, registered in the scope of that page's routes. */
export const pageHelmet: FastifyHelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
  referrerPolicy: { policy: 'no-referrer' },
  // Plain HTTP on a laptop or a LAN is how most operators first open it.
  strictTransportSecurity: false,
};
