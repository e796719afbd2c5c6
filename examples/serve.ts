// Serves examples/watching.html (the script tag) and examples/element.html (the
// <headcount-count> element) on their own port, so that the pages and the API are on different
// origins as on a real site. `npm run example`; the API runs separately (`npm run dev`).
//   EXAMPLE_PORT  port of this page server (default 8090)
//   API_URL       where the Headcount API is (default http://127.0.0.1:8080)
//   open http://127.0.0.1:8090/?room=my-room or /element?room=my-room (default room: example)
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';

const port = Number(process.env.EXAMPLE_PORT ?? 8090);
const apiUrl = (process.env.API_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const roomPattern = /^[A-Za-z0-9._:@-]{1,128}$/;
const templates: Record<string, string> = {
  '/': await readFile(new URL('./watching.html', import.meta.url), 'utf8'),
  '/element': await readFile(new URL('./element.html', import.meta.url), 'utf8'),
};

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
  const page = template.replaceAll('{{ROOM}}', room).replaceAll('{{API_URL}}', apiUrl);
  response
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(page);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`example page: http://127.0.0.1:${port}/?room=example (API: ${apiUrl})`);
  console.log(`the element: http://127.0.0.1:${port}/element?room=example`);
});
