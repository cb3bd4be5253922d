// GRPO rollouts from an inference server (as TRL, verl and open-instruct sample through vLLM): the
// round's completions come from an OpenAI-compatible /v1/completions endpoint (vLLM, SGLang,
// posttrain serve), one request per group (n = G, the group's seed), with each token's id and
// log-probability (vLLM's return_tokens_as_token_ids + logprobs), and the policy reaches the server
// as a LoRA adapter hot-loaded each round through vLLM's /v1/load_lora_adapter (the previous
// round's unloaded). The trainer recomputes log-probs itself and corrects the mismatch by
// importance sampling (train.ts).
import type { PromptRow, CompletionSampler } from './rollout.js';

export class RemoteRollout {
  private adapter: string | null = null;
  private constructor(
    readonly baseUrl: string,
    readonly baseModel: string,
    private readonly apiKey: string | null,
  ) {}

  /** Connects to `url` (…/v1); the base model is `model`, or the first the server lists. */
  static async connect(url: string, model: string | null, apiKey: string | null): Promise<RemoteRollout> {
    const base = url.replace(/\/+$/, '');
    if (model) return new RemoteRollout(base, model, apiKey);
    const r = await RemoteRollout.call(base, apiKey, 'GET', '/models');
    const first = (r as { data?: { id: string }[] }).data?.[0]?.id;
    if (!first) throw new Error(`rollout_url ${url}: GET /models lists no model`);
    return new RemoteRollout(base, first, apiKey);
  }

  private static async call(base: string, apiKey: string | null, method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Error(`rollout_url ${base}: ${method} ${path} failed: ${(e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`rollout_url ${base}: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  /** The model name requests use now: the loaded adapter, or the base. */
  get model(): string {
    return this.adapter ?? this.baseModel;
  }

  /** Loads the adapter folder `dir` as `name` and unloads the previous one. */
  async loadAdapter(name: string, dir: string): Promise<void> {
    await RemoteRollout.call(this.baseUrl, this.apiKey, 'POST', '/load_lora_adapter', { lora_name: name, lora_path: dir });
    const old = this.adapter;
    this.adapter = name;
    if (old) await RemoteRollout.call(this.baseUrl, this.apiKey, 'POST', '/unload_lora_adapter', { lora_name: old });
  }

  /** Unloads the current adapter (the end of a run). */
  async close(): Promise<void> {
    if (this.adapter)
      await RemoteRollout.call(this.baseUrl, this.apiKey, 'POST', '/unload_lora_adapter', { lora_name: this.adapter }).catch(() => {});
    this.adapter = null;
  }

  /** The sampler of sampleRound: one request per run of identical prompts (a group), n = its size. */
  sampler(): CompletionSampler {
    return async (prompts, seeds, o) => {
      const runs: { prompt: PromptRow; n: number; seed: number }[] = [];
      for (let i = 0; i < prompts.length; i++) {
        const last = runs.at(-1);
        if (last && last.prompt === prompts[i]) last.n++;
        else runs.push({ prompt: prompts[i]!, n: 1, seed: seeds[i]! });
      }
      const answers = await Promise.all(
        runs.map((run) =>
          RemoteRollout.call(this.baseUrl, this.apiKey, 'POST', '/completions', {
            model: this.model,
            prompt: run.prompt.text,
            n: run.n,
            max_tokens: o.maxNewTokens,
            temperature: o.temperature,
            top_p: o.topP,
            ...(o.topK > 0 ? { top_k: o.topK } : {}),
            seed: run.seed,
            logprobs: 0,
            return_tokens_as_token_ids: true,
          }),
        ),
      );
      return answers.flatMap((a, i) => {
        const choices = (
          a as { choices?: { index: number; finish_reason: string; logprobs?: { tokens: string[]; token_logprobs: number[] } }[] }
        ).choices;
        if (!choices || choices.length !== runs[i]!.n)
          throw new Error(`rollout_url ${this.baseUrl}: /completions returned ${choices?.length ?? 0} choices for n = ${runs[i]!.n}`);
        return [...choices]
          .sort((x, y) => x.index - y.index)
          .map((c) => {
            if (!c.logprobs)
              throw new Error(
                `rollout_url ${this.baseUrl}: /completions returned no logprobs (the server must support logprobs and return_tokens_as_token_ids)`,
              );
            const tokens = c.logprobs.tokens.map((t) => {
              const m = /^token_id:(\d+)$/.exec(t);
              if (!m)
                throw new Error(`rollout_url ${this.baseUrl}: token '${t}' is not "token_id:N" (return_tokens_as_token_ids unsupported?)`);
              return Number(m[1]);
            });
            return { tokens, logprobs: c.logprobs.token_logprobs, truncated: c.finish_reason === 'length' };
          });
      });
    };
  }
}
