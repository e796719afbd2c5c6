// What signed rooms cost on the heartbeat path: the same app answers heartbeats to an open room
// and to a signed one (HS256 token, verified with jose), interleaved in rounds within one run,
// so the ratio is not skewed by a busy machine. Signed twice: with the token reused, as a page
// sends it (verified once, then remembered), and with a new token every time (always verified). Embedded store, so the store does not hide the
// cost; in-process requests (app.inject), so no network either.
// The ratios are medians over the rounds, so that a burst of other work on the machine in one
// round does not decide them.
//   npx tsx bench/signed-rooms.ts      (BENCH_HEARTBEATS=20000 per kind, BENCH_ROUNDS=20)
import { createHmac } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { createPresenceTokenVerifier } from '../src/auth/presence-token.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

const heartbeats = Number(process.env.BENCH_HEARTBEATS ?? 20_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const secret = 'bench-presence-secret-0123456789abcdef';
const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36';

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
function mint(room: string, sub: string): string {
  const input = `${part({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${part({ room, sub, exp: Math.floor(Date.now() / 1000) + 3_600 })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const config = loadConfig({
  PRESENCE_SECRET: `k1:${secret}`,
  SIGNED_ROOMS: 'signed-*',
  RATE_LIMIT_MAX: '0',
  SNAPSHOT_ENABLED: 'false',
  LOG_LEVEL: 'silent',
  DATA_DIR: 'memory://',
  VISIBLE_TTL_S: '3600',
  HIDDEN_TTL_S: '3600',
});
const database = await openDatabase({ databaseUrl: null, dataDir: 'memory://' });
const app = await buildApp({ config, database });
await app.ready();

const token = mint('signed-*', 'bench-viewer');
type Kind = 'open' | 'signed' | 'fresh';
let serial = 0;
/** Milliseconds for n heartbeats, each from a new session (no per-session limit is hit). */
async function time(kind: Kind, n: number): Promise<number> {
  // Minted before the clock starts: the site's backend pays for minting, not this service.
  const fresh =
    kind === 'fresh' ? Array.from({ length: n }, (_, i) => mint('signed-*', `v${i}`)) : [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const session = `session-${kind}-${serial++}`;
    const body =
      kind === 'open'
        ? { room: 'open-room', session, viewer: 'bench-viewer' }
        : { room: 'signed-room', session, token: kind === 'fresh' ? fresh[i] : token };
    const res = await app.inject({
      method: 'POST',
      url: '/v1/heartbeat',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent },
      payload: JSON.stringify(body),
    });
    if (res.statusCode !== 200) throw new Error(`${kind} heartbeat answered ${res.statusCode}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// The signature check alone, outside HTTP: a new verifier each round, so nothing is remembered.
async function timeVerify(n: number): Promise<number> {
  const tokens = Array.from({ length: n }, (_, i) => mint('signed-*', `v${i}`));
  const verifier = await createPresenceTokenVerifier(config.signedRooms!);
  const started = process.hrtime.bigint();
  for (const t of tokens) await verifier.claimsOf(t, 'signed-room');
  return Number(process.hrtime.bigint() - started) / 1e6;
}

await time('open', 2_000);
await time('signed', 2_000);
await time('fresh', 2_000);
await timeVerify(2_000);
const perRound = Math.ceil(heartbeats / rounds);
const total = { open: 0, signed: 0, fresh: 0, verify: 0 };
const ratios = { signed: [] as number[], fresh: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const open = await time('open', perRound);
  const signed = await time('signed', perRound);
  const fresh = await time('fresh', perRound);
  total.open += open;
  total.signed += signed;
  total.fresh += fresh;
  total.verify += await timeVerify(perRound);
  ratios.signed.push(signed / open);
  ratios.fresh.push(fresh / open);
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const n = perRound * rounds;
const us = (ms: number) => ((ms * 1000) / n).toFixed(1);
const ratio = (kind: 'signed' | 'fresh') => median(ratios[kind]).toFixed(2);
console.log(
  `heartbeats per kind: ${n} in ${rounds} interleaved rounds (app.inject, embedded store); ratios: median of the rounds`,
);
console.log(`open room:                          ${us(total.open)} µs per heartbeat`);
console.log(
  `signed room, token reused (a page): ${us(total.signed)} µs per heartbeat, ${ratio('signed')} × open`,
);
console.log(
  `signed room, new token every time:  ${us(total.fresh)} µs per heartbeat, ${ratio('fresh')} × open`,
);
console.log(`signature check alone (jose, HS256): ${us(total.verify)} µs per token`);
await app.close();
await database.close();
