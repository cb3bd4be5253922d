// `posttrain serve --model=DIR [--host=127.0.0.1] [--port=8000] [--api-key=KEY] [--name=ID] [--allowed-hosts=a,b]`: the
// model behind an OpenAI-compatible API (src/serve/server.ts) until interrupted. The key may also
// come from POSTTRAIN_API_KEY; without one the server asks for none (keep it on loopback then).
import { defineSchema } from '../common/schema.js';
import { DEVICE_FIELD } from '../models/index.js';
import { startServer } from '../serve/server.js';
import { command } from './args.js';
import { untilInterrupted } from './model_io.js';

export const SERVE_SCHEMA = defineSchema({
  model: { type: 'string', default: null, required: true, doc: 'the model folder to serve' },
  host: { type: 'string', default: '127.0.0.1', doc: 'address to listen on (loopback unless you mean otherwise)' },
  port: { type: 'int', default: 8000, min: 0, max: 65535, doc: 'port to listen on (0: any free port)' },
  allowed_hosts: {
    type: 'strings',
    default: null,
    nullable: true,
    doc: "Host names answered besides localhost, 127.0.0.1, [::1] and the bind address (name or name:port, comma-separated; '*' any): a guard against DNS rebinding; on a non-loopback host, Host is checked only when given",
  },
  api_key: {
    type: 'string',
    default: null,
    nullable: true,
    doc: 'the bearer token clients must send (default: $POSTTRAIN_API_KEY; neither: no key is asked)',
  },
  name: { type: 'string', default: null, nullable: true, doc: "the model's id in the API (default: the folder's name)" },
  device: DEVICE_FIELD,
  dtype: {
    type: 'string',
    default: 'float32',
    values: ['float32', 'bfloat16'],
    doc: "the weights' dtype; bfloat16 halves memory and the bytes read per decoded token (on the CPU activations stay float32, as llama.cpp runs F16 files)",
  },
  max_batch: {
    type: 'int',
    default: 32,
    min: 1,
    doc: 'sequences decoded together at most (continuous batching); more requests wait for rows to finish',
  },
  allow_runtime_lora: {
    type: 'bool',
    default: false,
    doc: "vLLM's POST /v1/load_lora_adapter and /v1/unload_lora_adapter: clients load adapter folders from this machine by path (also on with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)",
  },
});

export const serveCommand = command({
  summary:
    'an OpenAI-compatible API for a model folder: /v1/chat/completions, /v1/completions (continuously batched, streaming, logprobs), /v1/models, /health, runtime LoRA adapters',
  schema: SERVE_SCHEMA,
  run: async (c) => {
    const apiKey = c.api_key ?? (process.env['POSTTRAIN_API_KEY'] || null);
    const s = await startServer({
      modelDir: c.model,
      host: c.host,
      port: c.port,
      allowedHosts: c.allowed_hosts,
      apiKey,
      modelName: c.name ?? undefined,
      device: c.device,
      dtype: c.dtype as 'float32' | 'bfloat16',
      maxBatch: c.max_batch,
      allowRuntimeLora: c.allow_runtime_lora || undefined,
      log: (l) => process.stderr.write(`${l}\n`),
    });
    process.stderr.write(
      `serving '${s.modelName}' at ${s.url}/v1 (chat/completions, completions, models)${apiKey ? ', bearer token required' : ''}\n`,
    );
    await untilInterrupted(() => s.close());
    return 0;
  },
});
