// Format and shaping rewards (DeepSeek-R1 and DAPO): the <think>…</think><answer>…</answer>
// structure, per-tag counts, language consistency (share of words in the target language), a
// length penalty, and DAPO's soft overlong punishment. Pure functions of the completion text.

/** 1 when the completion is exactly <think>…</think> then <answer>…</answer> (whitespace between allowed), else 0. */
export function thinkAnswerFormat(completion: string): number {
  return /^\s*<think>[\s\S]*?<\/think>\s*<answer>[\s\S]*?<\/answer>\s*$/.test(completion) ? 1 : 0;
}

/** 1 when the completion starts with a closed <think>…</think> block (R1-Zero's format reward), else 0. */
export function thinkFormat(completion: string): number {
  return /^\s*<think>[\s\S]*?<\/think>/.test(completion) && (completion.match(/<think>/g)?.length ?? 0) === 1 ? 1 : 0;
}

/** 0.25 for each of <think>, </think>, <answer>, </answer> that appears exactly once (partial credit). */
export function tagCount(completion: string, tags: readonly string[] = ['<think>', '</think>', '<answer>', '</answer>']): number {
  let score = 0;
  for (const t of tags) if (completion.split(t).length - 1 === 1) score += 1 / tags.length;
  return score;
}

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]/gu;
const LATIN_WORD = /[A-Za-zÀ-ÖØ-öø-ÿ]+/g;

/**
 * Share of words in the target language (R1's language-consistency reward): for 'en' the Latin
 * words among Latin words + CJK characters, for 'zh' the reverse. Text with neither scores 1.
 */
export function languageConsistency(completion: string, target: 'en' | 'zh'): number {
  const cjk = completion.match(CJK)?.length ?? 0;
  const latin = completion.match(LATIN_WORD)?.length ?? 0;
  if (cjk + latin === 0) return 1;
  return (target === 'en' ? latin : cjk) / (cjk + latin);
}

/** −weight · max(0, length − target) / target: 0 up to the target length, then linearly negative. */
export function lengthPenalty(length: number, target: number, weight = 1): number {
  if (!(target > 0)) throw new RangeError(`lengthPenalty: target must be > 0, got ${target}`);
  const over = Math.max(0, length - target);
  return over === 0 ? 0 : (-weight * over) / target;
}

/**
 * DAPO's soft overlong punishment for a response of `length` tokens with maximum `maxLength` and a
 * punishment interval `cache`: 0 up to maxLength − cache, then falling linearly to −1 at maxLength,
 * −1 beyond.
 */
export function overlongPenalty(length: number, maxLength: number, cache: number): number {
  if (!(cache > 0 && cache <= maxLength)) throw new RangeError(`overlongPenalty: need 0 < cache (${cache}) <= maxLength (${maxLength})`);
  const free = maxLength - cache;
  if (length <= free) return 0;
  if (length <= maxLength) return (free - length) / cache;
  return -1;
}
