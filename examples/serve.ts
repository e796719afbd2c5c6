// Serves examples/watching.html (the script tag), examples/element.html (the <headcount-count>
// element) and examples/viewers.html (<headcount-viewers>: who is here) on their own port, so that
// the pages and the API are on different origins as on a real site. `npm run example`; the API
// runs separately (`npm run dev`).
//   EXAMPLE_PORT     port of this page server (default 8090)
//   API_URL          where the Headcount API is (default http://127.0.0.1:8080)
//   PRESENCE_SECRET  the API's own, for /viewers: this server mints each page's presence token
//                    as a site's backend would (the API then needs it too, which signs every room)
//   open http://127.0.0.1:8090/?room=my-room or /element?room=my-room (default room: example),
//   /viewers?room=my-room&user=ada&name=Ada (&hidden=1 to appear offline)
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { parsePresenceSecrets } from '../src/signing-keys.js';

const port = Number(process.env.EXAMPLE_PORT ?? 8090);
const apiUrl = (process.env.API_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const roomPattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const signing = parsePresenceSecrets(process.env.PRESENCE_SECRET ?? '')?.[0];
const templates: Record<string, string> = {
  '/': await readFile(new URL('./watching.html', import.meta.url), 'utf8'),
  '/element': await readFile(new URL('./element.html', import.meta.url), 'utf8'),
  '/viewers': await readFile(new URL('./viewers.html', import.meta.url), 'utf8'),
};

/** Seconds a minted token lives: longer than anyone keeps the example open. */
const tokenLifetimeS = 12 * 3600;

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A presence token as a site's backend mints it: HS256, with the member's name and listing. */
function mint(room: string, sub: string, name: string, listed: boolean): string {
  if (!signing) return '';
  const header = base64url({
    alg: 'HS256',
    typ: 'JWT',
    ...(signing.kid ? { kid: signing.kid } : {}),
  });
  const exp = Math.floor(Date.now() / 1000) + tokenLifetimeS;
  const payload = base64url({ room, sub, exp, name, ...(listed ? {} : { listed: false }) });
  const signature = createHmac('sha256', signing.secret)
    .update(`${header}.${payload}`)
    .digest('base64url');
  return `${header}.${payload}.${signature}`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The member this page is for: the user and name asked for, else a guest of its own. */
function memberPage(template: string, room: string, query: URLSearchParams): string {
  const user = query.get('user') ?? '';
  const sub = roomPattern.test(user) ? user : `guest-${randomBytes(3).toString('hex')}`;
  const name = (query.get('name') || sub).slice(0, 64);
  const listed = query.get('hidden') !== '1';
  return template
    .replaceAll('{{TOKEN}}', mint(room, sub, name, listed))
    .replaceAll('{{NAME}}', escapeHtml(name))
    .replaceAll('{{HIDDEN_NOTE}}', listed ? '' : ', appearing offline')
    .replaceAll(
      '{{SIGNED_NOTE}}',
      signing
        ? 'This server minted your token with PRESENCE_SECRET, as your backend would.'
        : 'PRESENCE_SECRET is not set here, so the room is open: its list is for the admin ' +
            'only, and the elements show the number alone. Start the API and this server with ' +
            'the same PRESENCE_SECRET to see names.',
    );
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://example.invalid');
  if (url.pathname === '/favicon.ico') {
    response.writeHead(204).end();
    return;
  }
  const template = templates[url.pathname];
  if (template === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  const room = url.searchParams.get('room') ?? 'example';
  if (!roomPattern.test(room)) {
    response
      .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      .end('room must be 1-128 characters of A-Z a-z 0-9 . _ : - @\n');
    return;
  }
  // Both values are safe in HTML: the room by its alphabet, the URL from the operator.
  let page = template.replaceAll('{{ROOM}}', room).replaceAll('{{API_URL}}', apiUrl);
  if (url.pathname === '/viewers') page = memberPage(page, room, url.searchParams);
  response
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(page);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`example page: http://127.0.0.1:${port}/?room=example (API: ${apiUrl})`);
  console.log(`the element: http://127.0.0.1:${port}/element?room=example`);
  console.log(`who is here: http://127.0.0.1:${port}/viewers?room=example&user=ada&name=Ada`);
});
