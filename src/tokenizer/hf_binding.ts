// Typed access to the parts of @huggingface/tokenizers we use. Its .d.ts files re-export with
// extensionless paths, which NodeNext resolution cannot follow (the imports would silently be
// `any`), so the few members we call are declared here, checked against the package's own
// types/core/Tokenizer.d.ts and types/core/preTokenizer/Split.d.ts.
import * as hfTokenizers from '@huggingface/tokenizers';

export interface HFTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean | null }): string;
  token_to_id(token: string): number | undefined;
  id_to_token(id: number): string | undefined;
  get_vocab(withAddedTokens?: boolean): Map<string, number>;
}

export interface HFPreTokenizer {
  pre_tokenize_text(text: string): string[];
}

interface Module {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HFTokenizer;
  SplitPreTokenizer: new (config: {
    type: 'Split';
    pattern: { Regex?: string; String?: string };
    behavior: string;
    invert?: boolean;
  }) => HFPreTokenizer;
}

const hf = hfTokenizers as unknown as Module;

export const HFTokenizerClass = hf.Tokenizer;
export const SplitPreTokenizerClass = hf.SplitPreTokenizer;
