// Flag parsing shared by the programs: node:util's parseArgs plus `--help`, `--version` and a
// clear error for a wrong flag, so each main.ts stays one screen long.
import { parseArgs, type ParseArgsConfig } from "node:util";

export type FlagSpec = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags<const T extends FlagSpec>(
  argv: string[],
  options: T,
  usage: string,
  /** Given by a program's main: `--version` prints it. Subcommands leave it out. */
  version?: string,
): { values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true }>>["values"]; positionals: string[] } {
  // `pnpm run x -- --flag` hands the program a literal "--" first; it means nothing here.
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  let parsed;
  try {
    const standard = { help: { type: "boolean", short: "h" }, ...(version !== undefined ? { version: { type: "boolean" } } : {}) } as const;
    parsed = parseArgs({ args, options: { ...options, ...standard }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (version !== undefined && (parsed.values as { version?: boolean }).version) {
    process.stdout.write(`${version}\n`);
    process.exit(0);
  }
  return parsed as never;
}

export function integerFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    process.stderr.write(`--${name} must be a whole number >= ${min}, got "${value}"\n`);
    process.exit(2);
  }
  return number;
}

export function choiceFlag<const T extends readonly string[]>(name: string, value: string | undefined, choices: T, fallback: T[number]): T[number] {
  if (value === undefined) return fallback;
  if (!choices.includes(value)) {
    process.stderr.write(`--${name} must be one of ${choices.join(", ")}, got "${value}"\n`);
    process.exit(2);
  }
  return value;
}
