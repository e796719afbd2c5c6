// What a service process saw of each request, by its own clock: whether it had the request at all,
// and how long it took, which a test that holds the service to a deadline reads instead of its own
// wall clock (that also counts the time its own process, the kernel and the connections take on a
// machine busy with other work). startServer's `timing` option loads request-timing-preload.ts
// into the service; it writes to stdout, for each request tagged with the x-test-request header,
// when its request event came and when the answer was handed to the socket, and every 10 ms how
// long the kernel has kept the service's thread waiting for a CPU while it could run (Linux's
// schedstat run delay; 0 where there is none).

/** The header that tags a request to be measured; its value names the request. */
export const timingHeader = 'x-test-request';
export const requestPrefix = 'request-timing ';
export const waitedPrefix = 'run-delay ';
/** `request-start <tag>`: the service has the request (its request event came). */
export const startPrefix = 'request-start ';

/** One tagged request, on the service's clock (performance.now() of its process), ms. */
export interface RequestTiming {
  tag: string;
  status: number;
  startedAt: number;
  finishedAt: number;
  /** The run delay when it started and when it finished. */
  waitedAtStart: number;
  waitedAtFinish: number;
}

/** What the service wrote; reads its stdout line by line. */
export class ServiceTimings {
  readonly requests = new Map<string, RequestTiming>();
  /** The tags of the requests the service had, answered or not. */
  readonly started = new Set<string>();
  /** [time, run delay so far] pairs, ms. */
  private readonly waited: [number, number][] = [];
  private sorted = true;

  /** Reads a line of the service's stdout; false when it is not one of these. */
  read(line: string): boolean {
    if (line.startsWith(requestPrefix)) {
      const timing = JSON.parse(line.slice(requestPrefix.length)) as RequestTiming;
      this.requests.set(timing.tag, timing);
      this.waited.push(
        [timing.startedAt, timing.waitedAtStart],
        [timing.finishedAt, timing.waitedAtFinish],
      );
      this.sorted = false;
    } else if (line.startsWith(startPrefix)) {
      this.started.add(line.slice(startPrefix.length));
    } else if (line.startsWith(waitedPrefix)) {
      const [at, waited] = line.slice(waitedPrefix.length).split(' ').map(Number);
      this.waited.push([at!, waited!]);
      this.sorted = false;
    } else return false;
    return true;
  }

  /**
   * How long the service took for the request, with a deadline of deadlineMs on its way: in full
   * up to the deadline, and past it the time the service ran or waited on anything but a CPU (a
   * stretch the kernel kept it from running is the machine's, not the service's). Undefined when
   * the service never answered it.
   */
  tookMs(tag: string, deadlineMs: number): number | undefined {
    const timing = this.requests.get(tag);
    if (!timing) return undefined;
    const wallMs = timing.finishedAt - timing.startedAt;
    if (wallMs <= deadlineMs) return wallMs;
    const deadline = timing.startedAt + deadlineMs;
    return wallMs - (timing.waitedAtFinish - this.waitedAt(deadline));
  }

  /** The run delay at a moment, between the two samples around it. */
  private waitedAt(at: number): number {
    if (!this.sorted) this.waited.sort((a, b) => a[0] - b[0]);
    this.sorted = true;
    const samples = this.waited;
    let low = 0;
    let high = samples.length - 1;
    if (high < 0 || at <= samples[0]![0]) return samples[0]?.[1] ?? 0;
    if (at >= samples[high]![0]) return samples[high]![1];
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (samples[middle]![0] <= at) low = middle;
      else high = middle;
    }
    const [t0, w0] = samples[low]!;
    const [t1, w1] = samples[high]!;
    return t1 === t0 ? w1 : w0 + ((w1 - w0) * (at - t0)) / (t1 - t0);
  }
}
