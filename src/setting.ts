// The kinds of settings config.ts declares: each knows how to read its text, and says in words
// what is allowed, so that a message about a bad value and the docs' table say the same.

/** One environment variable, whose value is a T; HasDefault: never unset. */
export interface Setting<T, HasDefault extends boolean = boolean> {
  /** What it does, one line for the docs. */
  readonly doc: string;
  /** The default, as it would be written in the environment; undefined: unset. */
  readonly fallback: string | undefined;
  readonly hasDefault: HasDefault;
  /** The docs' default column when it is not the fallback itself (a computed default). */
  readonly fallbackDoc?: string;
  /** What is allowed, in words: every message about a bad value ends with it. */
  readonly allowed: string;
  /** The unit of the value (s, ms, ...), for the docs. */
  readonly unit?: string;
  /** A secret: its value never appears in a message or a log. */
  readonly secret?: boolean;
  /** The name this variable had before; still read, with a notice. */
  readonly formerly?: string;
  /** The value of a set variable, or undefined when the text is not allowed. */
  readonly parse: (text: string) => T | undefined;
}

type Options = Omit<Setting<unknown>, 'parse' | 'fallback' | 'hasDefault' | 'allowed'> & {
  fallback?: string;
  allowed?: string;
};

type Declared<T, F> = Setting<T, F extends string ? true : false>;

export function setting<T, F extends string | undefined = undefined>(
  options: Options & { fallback?: F; allowed: string },
  parse: (text: string) => T | undefined,
): Declared<T, F> {
  const { fallback } = options;
  return { ...options, fallback, hasDefault: fallback !== undefined, parse } as Declared<T, F>;
}

interface Range {
  min: number;
  /** No upper bound when absent. */
  max?: number;
  /** A word for what is counted ("seconds", "sessions"); the unit column says it short. */
  of?: string;
  /** What the smallest value means, when it is special ("off", "never"). */
  minMeans?: string;
}

/** "a whole number of seconds from 1 to 86400", "0 (off) or more". */
function rangeText({ min, max, of, minMeans }: Range, whole: boolean): string {
  const what = `a ${whole ? 'whole ' : ''}number${of ? ` of ${of}` : ''}`;
  const low = minMeans ? `${min} (${minMeans})` : String(min);
  return max === undefined ? `${what}, ${low} or more` : `${what} from ${low} to ${max}`;
}

export function integer<F extends string | undefined = undefined>(
  range: Range,
  options: Options & { fallback?: F },
) {
  return setting<number, F>(
    { ...options, allowed: options.allowed ?? rangeText(range, true) },
    (text) => {
      if (!/^\s*-?\d+\s*$/.test(text)) return undefined;
      const n = Number(text);
      return n >= range.min && n <= (range.max ?? Number.MAX_SAFE_INTEGER) ? n : undefined;
    },
  );
}

export const seconds = <F extends string | undefined = undefined>(
  range: Omit<Range, 'of'>,
  options: Options & { fallback?: F },
) => integer({ ...range, of: 'seconds' }, { unit: 's', ...options });

export const milliseconds = <F extends string | undefined = undefined>(
  range: Omit<Range, 'of'>,
  options: Options & { fallback?: F },
) => integer({ ...range, of: 'milliseconds' }, { unit: 'ms', ...options });

export const flag = (options: Options & { fallback: 'true' | 'false' }) =>
  setting<boolean, 'true' | 'false'>(
    { ...options, allowed: 'true or false (or 1 or 0)' },
    (text) => ({ true: true, false: false, '1': true, '0': false })[text.trim()],
  );

export function oneOf<const V extends string, F extends V>(
  values: readonly V[],
  options: Options & { fallback: F },
) {
  return setting<V, F>({ ...options, allowed: values.join(', ') }, (text) =>
    values.find((v) => v === text.trim()),
  );
}

/** Text matching a pattern (any non-blank text without one). */
export function text<F extends string | undefined = undefined>(
  options: Options & { fallback?: F; allowed: string; pattern?: RegExp },
) {
  const { pattern, ...rest } = options;
  return setting<string, F>(rest, (t) => {
    const value = t.trim();
    return value !== '' && (pattern?.test(value) ?? true) ? value : undefined;
  });
}

/** Comma-separated items, each checked (blank items are dropped); [] when nothing is listed. */
export function list<T, F extends string | undefined = undefined>(
  item: (text: string) => T | undefined,
  options: Options & { fallback?: F; allowed: string },
) {
  return setting<T[], F>(options, (t) => {
    const items = t
      .split(',')
      .map((i) => i.trim())
      .filter(Boolean)
      .map(item);
    // Empty is allowed only where the default is: a variable that is set lists something.
    if (items.length === 0 && options.fallback !== '') return undefined;
    return items.every((i) => i !== undefined) ? (items as T[]) : undefined;
  });
}

export const matching = (pattern: RegExp) => (t: string) => (pattern.test(t) ? t : undefined);
