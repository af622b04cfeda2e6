/** A small, strict argument parser: unknown flags are errors, so typos never pass silently. */
import { PhotoAvatarError } from '../errors.js';

export interface FlagSpec {
  /** Flag takes a value (`--out file`) or is a boolean switch (`--json`). */
  value: boolean;
  alias?: string;
}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const aliases = new Map<string, string>();
  for (const [name, flag] of Object.entries(spec)) if (flag.alias) aliases.set(flag.alias, name);
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!arg.startsWith('-') || arg === '-') { positional.push(arg); continue; }
    const [rawName, inlineValue] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const name = rawName.startsWith('--') ? rawName.slice(2) : aliases.get(rawName.slice(1)) ?? rawName.slice(1);
    const flag = spec[name];
    if (!flag) throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown option ${rawName}. Run photo-avatar --help for the list of options.`);
    // "--force=no" must not force: a switch given a value is a mistake, never silently true.
    if (!flag.value) {
      if (inlineValue !== undefined) throw new PhotoAvatarError('INVALID_ARGUMENT', `Option ${rawName} is a switch and takes no value (got "${inlineValue}").`);
      flags.set(name, true);
      continue;
    }
    const value = inlineValue ?? argv[++i];
    if (value === undefined) throw new PhotoAvatarError('INVALID_ARGUMENT', `Option --${name} needs a value.`);
    // A second -o would silently win over the first: say so instead.
    if (flags.has(name)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Option --${name} is given twice ("${flags.get(name)}" and "${value}"); give it once.`);
    flags.set(name, value);
  }
  return { positional, flags };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  // Number() accepts "", " ", "0x100" and "1e3": only plain decimal digits are an integer here.
  const value = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `--${name} must be an integer from ${min} to ${max}, got "${raw}".`);
  }
  return value;
}
