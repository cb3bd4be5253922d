// A scalar reward model in Hugging Face's sequence-classification layout: the decoder (model.*)
// and a value head score.weight (num_labels = 1, no bias) read at each sequence's last real token,
// as LlamaForSequenceClassification / Qwen2ForSequenceClassification do. Made from an SFT checkpoint
// (the language-model head is dropped, the head starts from N(0, initializer_range)) and saved so
// that transformers' AutoModelForSequenceClassification loads the folder as it is.
import * as pt from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { ArgumentError } from '../tensor/index.js';
import { Linear } from '../nn/layers.js';
import { loadHfFolder, saveHfFolder } from '../checkpoint/index.js';
import { CausalLM, type DecoderConfig } from './decoder.js';
import { decoderConfig, hfConfigOf } from './index.js';

export class RewardModel extends CausalLM {
  readonly score: Linear;

  /** The decoder of `config` (no language-model head) and a 1-output value head. */
  constructor(config: DecoderConfig, init: { generator?: pt.Generator; dtype?: pt.DType } = {}) {
    super({ ...config, tieEmbeddings: true }, init); // tied → CausalLM registers no lm_head
    this.score = this.module('score', new Linear(config.hidden, 1, false, { std: config.initializerRange, ...init }));
  }

  /**
   * ids (B, T) int64, attentionMask (B, T) bool with right padding → rewards (B): the value head at
   * each row's last attended position.
   */
  rewards(ids: Tensor, attentionMask: Tensor): Tensor {
    return pt.scope(() => this.rewardsFrom(this.hiddenStates(ids, { attentionMask }), attentionMask));
  }

  /** The value head on final hidden states (B, T, H) at each row's last attended position → (B) float32. */
  rewardsFrom(hidden: Tensor, attentionMask: Tensor): Tensor {
    return pt.scope(() => {
      const values = this.score.forward(hidden).squeeze(-1); // (B, T)
      const last = attentionMask.to('int64').sum(-1).sub(1).clamp(0); // (B)
      const r = values.gather(-1, last.unsqueeze(-1)).squeeze(-1); // (B)
      return r.dtype === 'float32' || r.dtype === 'float64' ? r : r.float();
    });
  }

  /** The reward of one token sequence (no gradient): rewards() on a batch of one, unpadded. */
  rewardOf(ids: readonly number[]): number {
    return pt.noGrad(() =>
      pt.scope(
        () =>
          this.rewards(
            pt.tensor([[...ids]], { dtype: 'int64', device: this.device }),
            pt.ones([1, ids.length], { dtype: 'bool', device: this.device }),
          ).item() as number,
      ),
    );
  }
}

/** The config.json of a reward model: the decoder's, as a 1-label sequence classifier. */
export function rewardConfigOf(model: RewardModel, padTokenId: number | null): Record<string, unknown> {
  const base = hfConfigOf(model);
  const arch = String((base['architectures'] as string[])[0]).replace(/ForCausalLM$/, 'ForSequenceClassification');
  return {
    ...base,
    architectures: [arch],
    num_labels: 1,
    id2label: { 0: 'LABEL_0' },
    label2id: { LABEL_0: 0 },
    tie_word_embeddings: false,
    ...(padTokenId !== null ? { pad_token_id: padTokenId } : {}),
  };
}

/** A reward model from an SFT (causal-LM) folder: its decoder weights, a fresh seeded value head. */
export function rewardModelFromCausal(dir: string, seed = 0): RewardModel {
  const f = loadHfFolder(dir);
  const config = decoderConfig(f.config as Record<string, unknown>, `${dir}/config.json`);
  const rm = new RewardModel(config, { generator: new pt.Generator(seed) });
  try {
    const weights = new Map([...f.weights].filter(([k]) => k.startsWith('model.')));
    const { missing } = rm.loadStateDict(weights, { strict: false, source: dir });
    const absent = missing.filter((k) => k !== 'score.weight');
    if (absent.length) throw new ArgumentError('rewardModelFromCausal', `${dir}: missing weights ${absent.slice(0, 5).join(', ')}`);
  } catch (e) {
    rm.dispose();
    throw e;
  } finally {
    for (const t of f.weights.values()) t.dispose();
  }
  return rm;
}

/** Loads a reward-model folder written by saveRewardModel (or transformers, 1 label). */
export function loadRewardModel(dir: string): RewardModel {
  const f = loadHfFolder(dir);
  const hf = f.config as Record<string, unknown>;
  const arch = Array.isArray(hf['architectures']) ? String(hf['architectures'][0]) : '';
  const labels = hf['num_labels'] ?? (hf['id2label'] ? Object.keys(hf['id2label'] as object).length : undefined);
  try {
    if (!arch.endsWith('ForSequenceClassification'))
      throw new ArgumentError(
        'loadRewardModel',
        `${dir}/config.json: architectures ${JSON.stringify(hf['architectures'])} is not a sequence classifier`,
      );
    if (labels !== 1)
      throw new ArgumentError('loadRewardModel', `${dir}/config.json: a reward model has num_labels 1, got ${JSON.stringify(labels)}`);
    const rm = new RewardModel(decoderConfig(hf, `${dir}/config.json`));
    try {
      rm.loadStateDict(f.weights, { source: dir });
    } catch (e) {
      rm.dispose();
      throw e;
    }
    return rm;
  } finally {
    for (const t of f.weights.values()) t.dispose();
  }
}

export function saveRewardModel(
  model: RewardModel,
  dir: string,
  opts: { padTokenId: number | null; tokenizerFiles?: Record<string, string | Uint8Array> },
): void {
  saveHfFolder(dir, {
    config: rewardConfigOf(model, opts.padTokenId),
    generationConfig: null,
    weights: model.stateDict(),
    tokenizerFiles: opts.tokenizerFiles,
  });
}
