// Code-execution reward: pull the program out of a completion and run it against tests in the
// sandbox (sandbox.ts). One sandboxed run per test, so tests cannot see each other.
//
// - stdio tests: the program reads `input` on stdin; passes when its stdout equals `output` after
//   trimming (trailing whitespace on each line and blank lines at the ends ignored).
// - call tests: a generated harness loads the solution, calls fn(...args) and prints a per-run
//   random marker (crypto.randomUUID) followed by the JSON of the return value, only after the
//   call returned. The expected value never enters the sandbox: the host finds the marker line and
//   compares the JSON with `expected` (deep equality, key order ignored). Exiting early, crashing
//   or printing a fake "ok" leaves no marker line; printing a forged marker line gains nothing
//   without knowing the answer.
// It knows nothing about prompts or datasets; the score is the fraction of tests passed.
import { randomUUID } from 'node:crypto';
import { runSandboxed, type SandboxResult } from './sandbox.js';

export type CodeLanguage = 'python' | 'javascript';

export type CodeTest = { kind: 'stdio'; input: string; output: string } | { kind: 'call'; fn: string; args: unknown[]; expected: unknown };

export interface VerifyCodeOptions {
  language: CodeLanguage;
  tests: CodeTest[];
  /** Wall-clock limit per test (default 5000 ms). */
  timeoutMs?: number;
}

export interface CodeTestResult {
  passed: boolean;
  reason: string;
}

export interface VerifyCodeResult {
  passFraction: number;
  results: CodeTestResult[];
}

const FENCE_TAGS: Record<CodeLanguage, string[]> = {
  python: ['python', 'py', 'python3'],
  javascript: ['javascript', 'js', 'node', 'nodejs'],
};

/**
 * The code of the last fenced block tagged with the language (```python / ```py, ```javascript /
 * ```js), else of the last fenced block of any tag, else null.
 */
export function extractCode(completion: string, language: CodeLanguage): string | null {
  const blocks: { tag: string; code: string }[] = [];
  const re = /^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)^[ \t]*```[ \t]*$/gm;
  for (let m = re.exec(completion); m !== null; m = re.exec(completion)) {
    blocks.push({ tag: (m[1] ?? '').toLowerCase(), code: m[2] ?? '' });
  }
  const tagged = blocks.filter((b) => FENCE_TAGS[language].includes(b.tag));
  const chosen = tagged.at(-1) ?? blocks.at(-1);
  return chosen ? chosen.code.replace(/\n$/, '') : null;
}

/** Trailing whitespace on each line and blank lines at the ends ignored. */
export function normalizeOutput(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trim();
}

/** JSON with object keys sorted, for order-insensitive deep equality. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const MiB = 1024 * 1024;

/** Per-language command and limits. Node reserves ~1 GiB of address space at startup, so its
 *  address-space limit is larger and the heap is capped by V8 instead. */
function runtime(language: CodeLanguage): { file: string; command: (file: string) => string[]; memoryBytes: number } {
  if (language === 'python') {
    return { file: 'solution.py', command: (f) => ['/usr/bin/python3', '-I', f], memoryBytes: 512 * MiB };
  }
  return { file: 'solution.js', command: (f) => [process.execPath, '--max-old-space-size=256', f], memoryBytes: 1536 * MiB };
}

function pythonHarness(fn: string, args: unknown[], marker: string): string {
  return [
    'import json, sys',
    `_args = json.loads(${JSON.stringify(JSON.stringify(args))})`,
    "_ns = {'__name__': 'solution', '__builtins__': __builtins__}",
    "with open('solution.py') as _f: _src = _f.read()",
    "exec(compile(_src, 'solution.py', 'exec'), _ns)",
    `_fn = _ns[${JSON.stringify(fn)}]`,
    '_result = _fn(*_args)',
    '_out = json.dumps(_result, allow_nan=False)',
    'sys.stdout.flush()',
    `sys.stdout.write('\\n' + ${JSON.stringify(marker)} + _out + '\\n')`,
    'sys.stdout.flush()',
    '',
  ].join('\n');
}

function javascriptHarness(fn: string, args: unknown[], marker: string): string {
  return [
    "'use strict';",
    "const fs = require('fs');",
    `const args = JSON.parse(${JSON.stringify(JSON.stringify(args))});`,
    "let src = fs.readFileSync('solution.js', 'utf8');",
    // ES module `export` keywords are dropped so the solution can be evaluated as a function body.
    "src = src.replace(/^([ \\t]*)export[ \\t]+(default[ \\t]+)?(?=(async[ \\t]+)?function|const|let|var|class)/gm, '$1');",
    'const module_ = { exports: {} };',
    `const load = new Function('module', 'exports', 'require', src + '\\n;return typeof ${fn} !== "undefined" ? ${fn} : (typeof module.exports === "function" ? module.exports : module.exports.${fn});');`,
    '(async () => {',
    '  const f = load(module_, module_.exports, require);',
    `  if (typeof f !== 'function') throw new Error('${fn} is not a function');`,
    '  const result = await f(...args);',
    '  const out = result === undefined ? "undefined" : JSON.stringify(result);',
    `  process.stdout.write('\\n' + ${JSON.stringify(marker)} + out + '\\n');`,
    '})().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\\n"); process.exitCode = 1; });',
    '',
  ].join('\n');
}

/** Short description of a failed run: the sandbox's reason plus the last line of stderr. */
function failure(run: SandboxResult, fallback: string): string {
  // The most telling stderr line: the last error/exception line, else the last line that is not
  // a stack frame or node's version footer.
  const lines = run.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at ') && !/^Node\.js v\d/.test(l) && !/^\d+: 0x/.test(l));
  const lastErr = ([...lines].reverse().find((l) => /FATAL ERROR|(^|\W)\w*(Error|Exception)\b/.test(l)) ?? lines.at(-1))?.slice(0, 200);
  const parts = [run.reason ?? fallback];
  if (lastErr && !run.timedOut && !run.outputTruncated) parts.push(lastErr);
  return parts.join(': ');
}

async function runTest(code: string, test: CodeTest, language: CodeLanguage, timeoutMs: number): Promise<CodeTestResult> {
  const rt = runtime(language);
  const limits = { timeoutMs, cpuSeconds: Math.max(1, Math.ceil(timeoutMs / 1000)), memoryBytes: rt.memoryBytes };
  if (test.kind === 'stdio') {
    const run = await runSandboxed({ ...limits, command: rt.command(rt.file), stdin: test.input, files: { [rt.file]: code } });
    if (run.reason !== undefined) return { passed: false, reason: failure(run, 'run failed') };
    return normalizeOutput(run.stdout) === normalizeOutput(test.output)
      ? { passed: true, reason: 'output matches' }
      : { passed: false, reason: `wrong output: got ${JSON.stringify(run.stdout.slice(0, 100))}` };
  }
  if (!IDENTIFIER.test(test.fn)) return { passed: false, reason: `invalid function name ${JSON.stringify(test.fn)}` };
  const marker = `@@${randomUUID()}@@`;
  const harnessFile = language === 'python' ? 'harness.py' : 'harness.js';
  const harness = language === 'python' ? pythonHarness(test.fn, test.args, marker) : javascriptHarness(test.fn, test.args, marker);
  const run = await runSandboxed({ ...limits, command: rt.command(harnessFile), files: { [rt.file]: code, [harnessFile]: harness } });
  const at = run.stdout.lastIndexOf(marker);
  if (at < 0) return { passed: false, reason: `no result (marker missing): ${failure(run, 'exited before returning')}` };
  if (run.reason !== undefined) return { passed: false, reason: failure(run, 'run failed') };
  const text = run.stdout.slice(at + marker.length).split('\n')[0] ?? '';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { passed: false, reason: `return value is not JSON: ${text.slice(0, 100)}` };
  }
  return canonicalJson(value) === canonicalJson(test.expected)
    ? { passed: true, reason: 'return value matches' }
    : { passed: false, reason: `wrong return value: got ${text.slice(0, 100)}` };
}

/** Run every test in its own sandbox; passFraction is passed / total (0 when there is no code or no test). */
export async function verifyCode(completion: string, opts: VerifyCodeOptions): Promise<VerifyCodeResult> {
  const code = extractCode(completion, opts.language);
  if (code === null) {
    return { passFraction: 0, results: opts.tests.map(() => ({ passed: false, reason: 'no fenced code block' })) };
  }
  const results: CodeTestResult[] = [];
  for (const test of opts.tests) results.push(await runTest(code, test, opts.language, opts.timeoutMs ?? 5000));
  const passed = results.filter((r) => r.passed).length;
  return { passFraction: opts.tests.length === 0 ? 0 : passed / opts.tests.length, results };
}
