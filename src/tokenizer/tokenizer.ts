// A Hugging Face tokenizer read from a model folder: tokenizer.json (the pipeline, run by
// @huggingface/tokenizers), tokenizer_config.json (special tokens, chat templates), and, when
// present, chat_template.jinja and generation_config.json (extra end-of-sequence ids).
// Encoding never adds special tokens unless asked and decoding never "cleans up" spaces, so that
// decode(encode(text)) === text for byte-level tokenizers: training data and streamed generations
// must round-trip byte for byte. Errors name the file and the field at fault.
// This file does not render chat templates (chat_template.ts) or train vocabularies (bpe_trainer.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HFTokenizerClass, type HFTokenizer } from './hf_binding.js';
import { byteLevelToBytes, utf8Bytes } from './byte_level.js';
import { StreamDecoder } from './stream_decoder.js';

export type JsonObject = Record<string, unknown>;

/** A file (and field) that could not be read or did not make sense. */
export class TokenizerError extends Error {
  readonly file: string;
  readonly field: string | undefined;
  readonly detail: string;
  constructor(file: string, detail: string, field?: string) {
    super(`${file}${field === undefined ? '' : ` (field "${field}")`}: ${detail}`);
    this.file = file;
    this.field = field;
    this.detail = detail;
    this.name = new.target.name;
  }
}

export interface TokenizerExtras {
  /** Contents of chat_template.jinja; replaces the default template of tokenizer_config.json. */
  chatTemplate?: string;
  /** Contents of generation_config.json; its eos_token_id (number or list) extends eosTokenIds. */
  generationConfig?: JsonObject;
  /** Folder the files came from, used in error messages. */
  dir?: string;
}

export interface EncodeOptions {
  /** Run tokenizer.json's post_processor (e.g. prepend BOS). Default false: chat templates already
   *  write their special tokens as text. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

/** Name under which the unnamed chat template is stored in Tokenizer.chatTemplates. */
export const DEFAULT_TEMPLATE_NAME = 'default';

export class Tokenizer {
  /** The tokenizer.json object as loaded (save() writes it back unchanged). */
  readonly tokenizerJson: JsonObject;
  /** The tokenizer_config.json object as loaded, chat templates included. */
  readonly tokenizerConfig: JsonObject;
  /** Chat templates by name; the unnamed one is under DEFAULT_TEMPLATE_NAME. */
  readonly chatTemplates: ReadonlyMap<string, string>;
  /** One more than the largest id of the vocabulary or added tokens. A model's embedding may be
   *  larger (padded); it must not be smaller. */
  readonly vocabSize: number;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly padToken: string | undefined;
  readonly unkToken: string | undefined;
  readonly bosTokenId: number | undefined;
  /** tokenizer_config's eos_token first, then generation_config's eos_token_id entries. */
  readonly eosTokenIds: number[];
  readonly padTokenId: number | undefined;
  /** Ids of added tokens marked special (what skipSpecialTokens drops). */
  readonly specialTokenIds: Set<number>;
  /** BPE over the GPT-2 byte alphabet with a ByteLevel decoder: token bytes are known exactly. */
  readonly isByteLevel: boolean;
  /** Where the tokenizer came from, for messages. */
  readonly source: string;

  private readonly hf: HFTokenizer;
  private readonly addedTokenContent = new Map<number, string>();
  private readonly chatTemplateFromFile: boolean;
  private readonly dir: string | undefined;

  private constructor(tokenizerJson: JsonObject, tokenizerConfig: JsonObject, extras: TokenizerExtras) {
    const dir = extras.dir;
    const jsonFile = dir === undefined ? 'tokenizer.json' : path.join(dir, 'tokenizer.json');
    const configFile = dir === undefined ? 'tokenizer_config.json' : path.join(dir, 'tokenizer_config.json');
    this.source = dir ?? '(in-memory tokenizer.json)';
    this.dir = dir;
    this.tokenizerJson = tokenizerJson;
    this.tokenizerConfig = tokenizerConfig;

    const model = tokenizerJson['model'];
    if (!isObject(model) || typeof model['type'] !== 'string') {
      throw new TokenizerError(jsonFile, 'expected an object with a string "type"', 'model');
    }
    const added = tokenizerJson['added_tokens'] ?? [];
    if (!Array.isArray(added)) throw new TokenizerError(jsonFile, 'expected a list', 'added_tokens');
    this.specialTokenIds = new Set();
    added.forEach((token: unknown, i) => {
      if (!isObject(token) || typeof token['content'] !== 'string' || !Number.isInteger(token['id'])) {
        throw new TokenizerError(jsonFile, `entry ${i} needs a string "content" and an integer "id"`, 'added_tokens');
      }
      this.addedTokenContent.set(token['id'] as number, token['content']);
      if (token['special'] === true) this.specialTokenIds.add(token['id'] as number);
    });

    try {
      this.hf = new HFTokenizerClass(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new TokenizerError(jsonFile, `@huggingface/tokenizers could not build it: ${(e as Error).message}`);
    }
    let maxId = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    const decoder = tokenizerJson['decoder'];
    const decoderTypes = isObject(decoder)
      ? [
          decoder['type'],
          ...(Array.isArray(decoder['decoders']) ? decoder['decoders'].map((d) => (isObject(d) ? d['type'] : undefined)) : []),
        ]
      : [];
    this.isByteLevel = model['type'] === 'BPE' && decoderTypes.includes('ByteLevel');

    const special = (field: string): [string | undefined, number | undefined] => {
      const token = specialTokenString(tokenizerConfig[field], configFile, field);
      if (token === undefined) return [undefined, undefined];
      const id = this.hf.token_to_id(token);
      if (id === undefined) throw new TokenizerError(configFile, `"${token}" is not a token of tokenizer.json`, field);
      return [token, id];
    };
    [this.bosToken, this.bosTokenId] = special('bos_token');
    const [eosToken, eosId] = special('eos_token');
    this.eosToken = eosToken;
    [this.padToken, this.padTokenId] = special('pad_token');
    [this.unkToken] = special('unk_token');
    this.eosTokenIds = eosId === undefined ? [] : [eosId];
    if (extras.generationConfig !== undefined) {
      const genFile = dir === undefined ? 'generation_config.json' : path.join(dir, 'generation_config.json');
      const value = extras.generationConfig['eos_token_id'];
      const ids = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
          throw new TokenizerError(genFile, `${JSON.stringify(id)} is not a token id below ${this.vocabSize}`, 'eos_token_id');
        }
        if (!this.eosTokenIds.includes(id)) this.eosTokenIds.push(id);
      }
    }

    const templates = parseChatTemplates(tokenizerConfig['chat_template'], configFile);
    this.chatTemplateFromFile = extras.chatTemplate !== undefined;
    if (extras.chatTemplate !== undefined) templates.set(DEFAULT_TEMPLATE_NAME, extras.chatTemplate);
    this.chatTemplates = templates;
  }

  /** The file the chat template `name` came from (chat_template.jinja or tokenizer_config.json), for messages. */
  chatTemplateFile(name: string): string {
    const file = name === DEFAULT_TEMPLATE_NAME && this.chatTemplateFromFile ? 'chat_template.jinja' : 'tokenizer_config.json';
    return this.dir === undefined ? file : path.join(this.dir, file);
  }

  /** Load tokenizer.json (required), tokenizer_config.json, chat_template.jinja and
   *  generation_config.json (each optional) from a model folder. */
  static fromDir(dir: string): Tokenizer {
    const tokenizerJson = readJson(path.join(dir, 'tokenizer.json'), true)!;
    const tokenizerConfig = readJson(path.join(dir, 'tokenizer_config.json'), false) ?? {};
    const generationConfig = readJson(path.join(dir, 'generation_config.json'), false);
    const templateFile = path.join(dir, 'chat_template.jinja');
    const chatTemplate = fs.existsSync(templateFile) ? fs.readFileSync(templateFile, 'utf8') : undefined;
    const extras: TokenizerExtras = { dir };
    if (chatTemplate !== undefined) extras.chatTemplate = chatTemplate;
    if (generationConfig !== undefined) extras.generationConfig = generationConfig;
    return new Tokenizer(tokenizerJson, tokenizerConfig, extras);
  }

  /** Build from already-parsed file contents. */
  static fromFiles(tokenizerJson: object, tokenizerConfig: object = {}, extras: TokenizerExtras = {}): Tokenizer {
    if (!isObject(tokenizerJson)) throw new TokenizerError('tokenizer.json', 'expected a JSON object');
    if (!isObject(tokenizerConfig)) throw new TokenizerError('tokenizer_config.json', 'expected a JSON object');
    return new Tokenizer(tokenizerJson, tokenizerConfig, extras);
  }

  /** Write tokenizer.json and tokenizer_config.json (chat templates inside it; or in
   *  chat_template.jinja when that is where the default template came from). */
  save(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const config: JsonObject = { ...this.tokenizerConfig };
    const templates = new Map(this.chatTemplates);
    if (this.chatTemplateFromFile) {
      fs.writeFileSync(path.join(dir, 'chat_template.jinja'), templates.get(DEFAULT_TEMPLATE_NAME)!);
      templates.delete(DEFAULT_TEMPLATE_NAME);
    }
    delete config['chat_template'];
    if (templates.size === 1 && templates.has(DEFAULT_TEMPLATE_NAME)) {
      config['chat_template'] = templates.get(DEFAULT_TEMPLATE_NAME);
    } else if (templates.size > 0) {
      config['chat_template'] = [...templates].map(([name, template]) => ({ name, template }));
    }
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizerJson, null, 2));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
  }

  encode(text: string, { addSpecialTokens = false }: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new TypeError(`encode: expected a string, got ${typeof text}`);
    return this.hf.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  }

  decode(ids: readonly number[], { skipSpecialTokens = false }: DecodeOptions = {}): string {
    for (const id of ids) this.checkId(id, 'decode');
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: skipSpecialTokens, clean_up_tokenization_spaces: false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** The token's vocabulary string (byte-level form for byte-level BPE), or undefined. */
  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Incremental decoder for streamed generation; see StreamDecoder. */
  streamDecoder(options: DecodeOptions = {}): StreamDecoder {
    return new StreamDecoder((ids) => this.decode(ids, options));
  }

  /** For byte-level tokenizers, the UTF-8 byte offset where each token starts, plus the total
   *  (length ids.length + 1). Undefined when the tokenizer is not byte-level. */
  tokenByteOffsets(ids: readonly number[]): number[] | undefined {
    if (!this.isByteLevel) return undefined;
    const offsets = [0];
    let total = 0;
    for (const id of ids) {
      this.checkId(id, 'tokenByteOffsets');
      const content = this.addedTokenContent.get(id);
      let length: number;
      if (content !== undefined) length = utf8Bytes(content).length;
      else {
        const bytes = byteLevelToBytes(this.hf.id_to_token(id) ?? '\u0000');
        if (bytes === undefined) return undefined;
        length = bytes.length;
      }
      total += length;
      offsets.push(total);
    }
    return offsets;
  }

  /** The token string of an added token id (e.g. '<|im_end|>'), or undefined for ordinary ids. */
  addedTokenText(id: number): string | undefined {
    return this.addedTokenContent.get(id);
  }

  private checkId(id: number, op: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new RangeError(`${op}: token id ${id} is outside the vocabulary of ${this.source} (size ${this.vocabSize})`);
    }
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readJson(file: string, required: boolean): JsonObject | undefined {
  if (!fs.existsSync(file)) {
    if (required) throw new TokenizerError(file, 'file not found');
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TokenizerError(file, `invalid JSON: ${(e as Error).message}`);
  }
  if (!isObject(value)) throw new TokenizerError(file, 'expected a JSON object at the top level');
  return value;
}

/** tokenizer_config writes special tokens as a string, as {content: string, ...} (AddedToken), or null. */
function specialTokenString(value: unknown, file: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value['content'] === 'string') return value['content'];
  throw new TokenizerError(file, `expected a string or {"content": string}, got ${JSON.stringify(value)}`, field);
}

/** chat_template is a string, or a list of {name, template} (the unnamed one is "default"). */
function parseChatTemplates(value: unknown, file: string): Map<string, string> {
  const templates = new Map<string, string>();
  if (value === undefined || value === null) return templates;
  if (typeof value === 'string') return templates.set(DEFAULT_TEMPLATE_NAME, value);
  if (!Array.isArray(value)) throw new TokenizerError(file, 'expected a string or a list of {name, template}', 'chat_template');
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry['name'] !== 'string' || typeof entry['template'] !== 'string') {
      throw new TokenizerError(file, `entry ${i} needs a string "name" and a string "template"`, 'chat_template');
    }
    templates.set(entry['name'], entry['template']);
  });
  return templates;
}
