// GET /presence.js, /presence.mjs, /presence.d.ts, /headcount-count.js and /headcount-viewers.js:
// the browser client and its custom elements, built by `npm run build` into dist/client. Public,
// open to every origin, cached for five minutes.
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { errorResponses, publicRoute, textResponse } from './schemas.js';
import { defaultClientDir, registerStaticFiles, sendBuiltFile } from './static-files.js';

export { defaultClientDir };

const maxAgeS = 300;

const files = {
  'presence.js': 'application/javascript; charset=utf-8',
  'presence.mjs': 'application/javascript; charset=utf-8',
  'presence.d.ts': 'application/typescript; charset=utf-8',
  'headcount-count.js': 'application/javascript; charset=utf-8',
  'headcount-viewers.js': 'application/javascript; charset=utf-8',
} as const;

type FileName = keyof typeof files;

const summaries: Record<FileName, string> = {
  'presence.js': 'The browser client as a classic script (global Headcount)',
  'presence.mjs': 'The browser client as an ES module (exports join)',
  'presence.d.ts': 'Type declarations of the browser client',
  'headcount-count.js': 'The <headcount-count> element, with the browser client inside',
  'headcount-viewers.js':
    'The <headcount-viewers> and <headcount-count> elements, with the browser client inside',
};

const operationIds: Record<FileName, string> = {
  'presence.js': 'getClient_js',
  'presence.mjs': 'getClient_mjs',
  'presence.d.ts': 'getClient_d.ts',
  'headcount-count.js': 'getCountElement_js',
  'headcount-viewers.js': 'getViewersElement_js',
};

export interface ClientRoutesOptions {
  /** Where the built client is; dist/client by default. */
  clientDir?: string;
}

const clientRoutes: FastifyPluginAsyncTypebox<ClientRoutesOptions> = async (app, options) => {
  const dir = options.clientDir ?? defaultClientDir;
  await registerStaticFiles(app, dir, maxAgeS);

  for (const name of Object.keys(files) as FileName[]) {
    app.get(
      `/${name}`,
      {
        schema: {
          summary: summaries[name],
          operationId: operationIds[name],
          tags: ['client'],
          ...publicRoute,
          response: {
            200: textResponse(files[name], summaries[name]),
            304: Type.Null(),
            ...errorResponses(404, 429),
          },
        },
      },
      async (_request, reply) => {
        // A static public file: any page may load it, also as a cross-origin module.
        reply
          .header('access-control-allow-origin', '*')
          .header('cross-origin-resource-policy', 'cross-origin')
          .header('x-content-type-options', 'nosniff');
        return sendBuiltFile(reply, dir, name, files[name]);
      },
    );
  }
};

export default clientRoutes;
