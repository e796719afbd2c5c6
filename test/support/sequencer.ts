// The order test files start in. Those that wait longest on real time start first, so that a run
// does not end with one of them alone on a machine that has nothing else left to do: browser
// files (a browser's timers) every other file, so that about half the workers drive a browser at
// a time and two cores are not shared by four browsers, between them the fault tests (a service
// process, a Redis that is stopped), then the rest. Within each group vitest's own order holds:
// the durations of the previous run when it knows them, the largest files first when not (a
// fresh clone).
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const folderOf = (spec: TestSpecification) =>
  /[\\/]test[\\/]([^\\/]+)[\\/]/.exec(spec.moduleId)?.[1] ?? '';

export default class RealTimeFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const browser = sorted.filter((spec) => folderOf(spec) === 'browser');
    const others = [
      ...sorted.filter((spec) => folderOf(spec) === 'faults'),
      ...sorted.filter((spec) => !['browser', 'faults'].includes(folderOf(spec))),
    ];
    const order: TestSpecification[] = [];
    while (browser.length > 0 || others.length > 0) {
      const next = browser.shift();
      if (next) order.push(next);
      const other = others.shift();
      if (other) order.push(other);
    }
    return order;
  }
}
