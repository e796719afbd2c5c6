// Configuration: read once from the environment, validated at start, one line per problem.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig, type Setting, settings } from '../src/config.js';
import { problemsOf } from './support/config.js';

const run = promisify(execFile);

describe('configuration', () => {
  it('runs on defaults with nothing set: embedded store, embedded database, the rules of the spec', () => {
    const config = loadConfig({});
    expect(config.redis).toBeNull();
    expect(config.databaseUrl).toBeNull();
    expect(config.rules).toEqual({
      visibleTtlMs: 45_000,
      hiddenTtlMs: 150_000,
      leaveGraceMs: 5_000,
      visibleIntervalMs: 15_000,
      hiddenIntervalMs: 60_000,
      maxSessionsPerViewer: 10,
      largeRoomSessions: 200_000,
      activityMaxKinds: 20,
    });
    expect(config.activity).toEqual({ token: null, pageKinds: [] });
    expect(config.countMaxAgeS).toBe(2);
    expect(config.countPollS).toBe(2);
    expect(config.corsOrigins).toEqual(['*']);
    expect(config.port).toBe(8080);
  });

  it('makes a random admin token when ADMIN_TOKEN is unset, and says so', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.adminTokenGenerated).toBe(true);
    expect(a.adminToken).toHaveLength(32);
    expect(a.adminToken).not.toBe(b.adminToken);
    const set = loadConfig({ ADMIN_TOKEN: 'a-long-enough-admin-token' });
    expect(set).toMatchObject({
      adminToken: 'a-long-enough-admin-token',
      adminTokenGenerated: false,
    });
  });

  it('reads Redis and PostgreSQL URLs and a Cluster seed list', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://a:7000, redis://b:7001',
      REDIS_CLUSTER: 'true',
      DATABASE_URL: 'postgres://u@db:5432/headcount',
    });
    expect(config.redis).toMatchObject({
      urls: ['redis://a:7000', 'redis://b:7001'],
      cluster: true,
    });
    expect(config.databaseUrl).toBe('postgres://u@db:5432/headcount');
  });

  it('names the variable, the value and what is allowed, one line per problem', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      HEARTBEAT_TTL_S: '-3',
      REDIS_URL: 'http://localhost:6379',
      COUNT_BOTS: 'maybe',
      ADMIN_TOKEN: 'short',
    });
    expect(problems).toHaveLength(5);
    expect(problems).toContain('PORT="eighty": must be a whole number from 0 to 65535');
    expect(problems).toContain(
      'HEARTBEAT_TTL_S="-3": must be a whole number of seconds from 1 to 86400',
    );
    expect(problems.find((p) => p.startsWith('REDIS_URL='))).toMatch(/redis:\/\//);
    expect(problems.find((p) => p.startsWith('COUNT_BOTS='))).toMatch(/true or false/);
    expect(problems.find((p) => p.startsWith('ADMIN_TOKEN='))).toMatch(/at least 16/);
  });

  it('answers a bad value of every variable with its name, the value and what is allowed', () => {
    const candidates = ['   ', 'not-allowed ✗', '-1', '0.5', '99999999999', '*', 'true', '{}'];
    for (const [name, s] of Object.entries(settings) as [string, Setting<unknown>][]) {
      const bad = candidates.find((value) => s.parse(value) === undefined);
      expect(bad, `${name} takes every candidate`).toBeDefined();
      const shown = s.secret ? '(hidden)' : JSON.stringify(bad);
      expect(problemsOf({ [name]: bad! }), name).toEqual([
        `${name}=${shown}: must be ${s.allowed}`,
      ]);
      if (s.formerly) {
        expect(problemsOf({ [s.formerly]: bad! }), s.formerly).toEqual([
          `${s.formerly}=${shown}: must be ${s.allowed}`,
        ]);
      }
    }
  });

  it('takes numbers in decimal only, within their range', () => {
    for (const value of ['1e3', '0x10', '12abc', '1.5', '']) {
      const problems = value === '' ? [] : problemsOf({ STORE_TIMEOUT_MS: value });
      expect(problems.length, value).toBe(value === '' ? 0 : 1);
    }
    expect(loadConfig({ STORE_TIMEOUT_MS: ' 250 ' }).redis).toBeNull();
    expect(loadConfig({ REDIS_URL: 'redis://r', STORE_TIMEOUT_MS: ' 250 ' }).redis?.timeoutMs).toBe(
      250,
    );
  });

  it('still reads HEARTBEAT_TTL_S and HEARTBEAT_INTERVAL_S, with a notice; the new names win', () => {
    const former = loadConfig({ HEARTBEAT_TTL_S: '50', HEARTBEAT_INTERVAL_S: '20' });
    expect(former.rules).toMatchObject({ visibleTtlMs: 50_000, visibleIntervalMs: 20_000 });
    expect(former.notices).toEqual([
      'HEARTBEAT_TTL_S is now called VISIBLE_TTL_S; the former name still works',
      'HEARTBEAT_INTERVAL_S is now called VISIBLE_INTERVAL_S; the former name still works',
    ]);
    const both = loadConfig({ HEARTBEAT_TTL_S: '50', VISIBLE_TTL_S: '60' });
    expect(both.rules.visibleTtlMs).toBe(60_000);
    expect(both.notices).toEqual([
      'HEARTBEAT_TTL_S is ignored: VISIBLE_TTL_S, its new name, is set',
    ]);
    expect(loadConfig({}).notices).toEqual([]);
  });

  it('names a default that another setting makes wrong as the default', () => {
    expect(problemsOf({ VISIBLE_INTERVAL_S: '60' })).toEqual([
      'VISIBLE_TTL_S="45" (the default): must be greater than VISIBLE_INTERVAL_S (60), or sessions would expire between heartbeats',
    ]);
  });

  it('refuses a ttl that is not longer than its interval, since sessions would flicker', () => {
    const problems = problemsOf({ HEARTBEAT_TTL_S: '10', HEARTBEAT_INTERVAL_S: '15' });
    expect(problems).toEqual([
      'HEARTBEAT_TTL_S="10": must be greater than VISIBLE_INTERVAL_S (15), or sessions would expire between heartbeats',
    ]);
  });

  it('slows pages down before shedding: the stretch limit must be below the shedding one', () => {
    expect(loadConfig({}).shed).toMatchObject({
      eventLoopDelayMs: 1000,
      stretchEventLoopDelayMs: 250,
      stretchFactor: 2,
    });
    expect(loadConfig({ SHED_EVENT_LOOP_DELAY_MS: '100' }).shed.stretchEventLoopDelayMs).toBe(25);
    expect(
      problemsOf({ SHED_EVENT_LOOP_DELAY_MS: '100', STRETCH_EVENT_LOOP_DELAY_MS: '100' }),
    ).toEqual([
      'STRETCH_EVENT_LOOP_DELAY_MS="100": must be below SHED_EVENT_LOOP_DELAY_MS (100): pages are slowed before any is refused',
    ]);
    expect(problemsOf({ STRETCH_FACTOR: '10' })).toEqual([
      'STRETCH_FACTOR="10": must be a whole number from 2 to 9',
    ]);
  });

  it('stretches large rooms one step per LARGE_ROOM_SESSIONS, or never with 0', () => {
    expect(loadConfig({ LARGE_ROOM_SESSIONS: '0' }).rules.largeRoomSessions).toBe(0);
    expect(problemsOf({ LARGE_ROOM_SESSIONS: '-1' })).toEqual([
      'LARGE_ROOM_SESSIONS="-1": must be a whole number of sessions from 0 (never stretch) to 100000000',
    ]);
    expect(problemsOf({ LARGE_ROOM_SESSIONS: 'many' })).toEqual([
      'LARGE_ROOM_SESSIONS="many": must be a whole number of sessions from 0 (never stretch) to 100000000',
    ]);
  });

  it('asks pages to read the count at least a second apart (COUNT_POLL_S)', () => {
    expect(loadConfig({ COUNT_POLL_S: '30' }).countPollS).toBe(30);
    expect(problemsOf({ COUNT_POLL_S: '0' })).toEqual([
      'COUNT_POLL_S="0": must be a whole number of seconds from 1 to 3600',
    ]);
    expect(problemsOf({ COUNT_POLL_S: '1.5' })).toEqual([
      'COUNT_POLL_S="1.5": must be a whole number of seconds from 1 to 3600',
    ]);
  });

  it('stops the server at start with one line per problem and exit code 1', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, PORT: '99999', LEAVE_GRACE_S: 'soon' },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    const lines = failed!.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^headcount: (PORT|LEAVE_GRACE_S)=/);
  }, 60_000);
});
