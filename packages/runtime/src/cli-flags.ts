// Flag parsing shared by the three programs and every djq subcommand: node:util's parseArgs plus
// `--help`, `--version`, aliases, and one way of saying what is wrong with a command line (one
// line, a "did you mean" where a flag is close, then a pointer to --help; exit 2).
import { parseArgs, type ParseArgsConfig } from "node:util";

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

/** A wrong command line. Whoever runs the program prints it with `describeFlagError` and exits 2. */
export class FlagError extends Error {
  override name = "FlagError";
}

/** Node's timers hold at most this many milliseconds; a longer duration would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;
export const MAX_PORT = 65_535;

export interface FlagCommand<T extends FlagSpec> {
  /** How the user calls it (`djq-queue`, `djq submit`): named in the pointer to --help. */
  command: string;
  options: T;
  usage: string;
  /** Given by a program's main: `--version` prints it. Subcommands leave it out. */
  version?: string;
  /** Positional arguments taken at most (default none). */
  maxPositionals?: number;
  /** Old spellings: alias → the flag it stands for. */
  aliases?: Readonly<Record<string, keyof T & string>>;
}

type Values<T extends FlagSpec> = ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>["values"];

/**
 * Parses argv or throws FlagError. `--help` and `--version` print and exit 0 here, as every
 * program and subcommand treats them alike.
 */
export function parseFlags<const T extends FlagSpec>(argv: string[], spec: FlagCommand<T>): { values: Values<T>; positionals: string[] } {
  // `pnpm run x -- --flag` hands the program a literal "--" first; it means nothing here.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const standard = { help: { type: "boolean", short: "h" }, ...(spec.version !== undefined ? { version: { type: "boolean" } } : {}) } as const;
  const aliasOptions: FlagSpec = {};
  for (const [alias, target] of Object.entries(spec.aliases ?? {})) aliasOptions[alias] = { type: spec.options[target]!.type };
  const options: FlagSpec = { ...spec.options, ...aliasOptions, ...standard };
  checkTokens(args, options, spec.maxPositionals ?? 0);
  // Not strict: checkTokens refused everything strict mode would, and strict mode would also
  // refuse `--priority -1` as ambiguous.
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: false });
  const values = parsed.values as Record<string, unknown>;
  if (values.help === true) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  if (spec.version !== undefined && values.version === true) {
    process.stdout.write(`${spec.version}\n`);
    process.exit(0);
  }
  for (const [alias, target] of Object.entries(spec.aliases ?? {})) {
    if (values[alias] !== undefined && values[target] === undefined) values[target] = values[alias];
    delete values[alias];
  }
  return { values: values as never, positionals: parsed.positionals };
}

// parseArgs's own errors differ between Node versions and quote advice meant for its callers
// ("as in '-- "--bogus"'"); the tokens let us say it in one line.
function checkTokens(args: string[], options: FlagSpec, maxPositionals: number): void {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  let positionals = 0;
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (++positionals > maxPositionals) {
        throw new FlagError(maxPositionals === 0 ? `unexpected argument "${token.value}": this command takes flags only` : `unexpected argument "${token.value}"`);
      }
      continue;
    }
    if (token.kind !== "option") continue;
    const option = options[token.name];
    if (option === undefined) {
      const close = closestFlag(token.name, Object.keys(options));
      throw new FlagError(`unknown flag ${token.rawName}${close !== undefined ? ` (did you mean --${close}?)` : ""}`);
    }
    if (option.type === "boolean" && token.inlineValue === true) throw new FlagError(`${token.rawName} takes no value`);
    // Without "=", a value that looks like a flag (not a negative number) is the next flag: the
    // value was left out.
    const looksLikeFlag = token.value !== undefined && token.inlineValue !== true && /^-(?!\d)/.test(token.value);
    if (option.type === "string" && (token.value === undefined || looksLikeFlag)) {
      throw new FlagError(`${token.rawName} needs a value${token.value !== undefined ? ` (write ${token.rawName}=${token.value} if that is the value)` : ""}`);
    }
  }
}

/** The flag a typo most likely meant: a prefix of it, or at most two edits away. */
export function closestFlag(typed: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = name.startsWith(typed) && typed.length >= 3 ? 1 : editDistance(typed, name);
    if (distance <= Math.min(2, Math.max(1, Math.floor(name.length / 3))) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!;
      row[j] = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}

/** The one line and the pointer to --help that every program prints for a FlagError. */
export function describeFlagError(error: FlagError, command: string): string {
  return `${error.message}\nRun "${command} --help" to see the flags.\n`;
}

/** For a program's main: run `read`, and on a FlagError print it and exit 2 before anything starts. */
export function exitOnFlagError<R>(command: string, read: () => R): R {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(describeFlagError(error, command));
    process.exit(2);
  }
}

/** A whole number in [min, max], or `fallback` when the flag is absent. */
export function integerFlag(name: string, value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const number = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new FlagError(`--${name} must be a whole number ${range}, got "${value}"`);
  }
  return number;
}

/** A duration in milliseconds: at least `min`, at most what a timer can hold. */
export function durationMsFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  return integerFlag(name, value, fallback, min, MAX_TIMER_MS);
}

export function portFlag(name: string, value: string | undefined, fallback: number, min = 1): number {
  return integerFlag(name, value, fallback, min, MAX_PORT);
}

export function choiceFlag<const T extends readonly string[]>(name: string, value: string | undefined, choices: T, fallback: T[number]): T[number] {
  if (value === undefined) return fallback;
  if (!choices.includes(value)) throw new FlagError(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  return value;
}
