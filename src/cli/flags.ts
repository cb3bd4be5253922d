// Command-line flags: `--key=value` (or `--key value`, or a bare `--flag` for true), read through
// typed getters whose errors name the flag. Unknown flags are refused, so a typo is not ignored.
export class Flags {
  private readonly values = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(args: readonly string[]) {
    for (let i = 0; i < args.length; i++) {
      const m = /^--([\w-]+)(?:=(.*))?$/s.exec(args[i]!);
      if (!m) throw new Error(`unexpected argument '${args[i]}' (flags look like --key=value)`);
      let value = m[2];
      if (value === undefined && i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
      this.values.set(m[1]!, value ?? 'true');
    }
  }

  str(key: string, dflt?: string): string {
    this.used.add(key);
    const v = this.values.get(key) ?? dflt;
    if (v === undefined) throw new Error(`--${key} is required`);
    return v;
  }

  optStr(key: string): string | undefined {
    this.used.add(key);
    return this.values.get(key);
  }

  num(key: string, dflt: number, check?: (v: number) => boolean, what = 'a number'): number {
    this.used.add(key);
    const raw = this.values.get(key);
    if (raw === undefined) return dflt;
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || (check && !check(v))) throw new Error(`--${key} must be ${what}, got '${raw}'`);
    return v;
  }

  int(key: string, dflt: number, min = 0): number {
    return this.num(key, dflt, (v) => Number.isInteger(v) && v >= min, `an integer >= ${min}`);
  }

  bool(key: string, dflt: boolean): boolean {
    this.used.add(key);
    const raw = this.values.get(key);
    if (raw === undefined) return dflt;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new Error(`--${key} must be true or false, got '${raw}'`);
  }

  /** Call after reading every flag a command knows. */
  rejectUnknown(command: string): void {
    const unknown = [...this.values.keys()].filter((k) => !this.used.has(k));
    if (unknown.length)
      throw new Error(`unknown flag${unknown.length > 1 ? 's' : ''} for '${command}': ${unknown.map((k) => `--${k}`).join(', ')}`);
  }
}
