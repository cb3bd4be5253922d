// `posttrain serve --model=DIR [--host=127.0.0.1] [--port=8000] [--api-key=KEY] [--name=ID]`: the
// model behind an OpenAI-compatible API (src/serve/server.ts) until interrupted. The key may also
// come from POSTTRAIN_API_KEY; without one the server asks for none (keep it on loopback then).
import { Flags } from './flags.js';
import { startServer } from '../serve/server.js';

export async function serveCommand(args: string[]): Promise<void> {
  const f = new Flags(args);
  const modelDir = f.str('model', '');
  if (!modelDir) throw new Error('posttrain serve: --model is required');
  const host = f.str('host', '127.0.0.1');
  const port = f.int('port', 8000);
  const apiKey = f.str('api-key', process.env['POSTTRAIN_API_KEY'] ?? '') || null;
  const name = f.str('name', '') || undefined;
  f.rejectUnknown('serve');
  const s = await startServer({ modelDir, host, port, apiKey, modelName: name, log: (l) => process.stderr.write(`${l}\n`) });
  process.stderr.write(
    `serving '${s.modelName}' at ${s.url}/v1 (chat/completions, completions, models)${apiKey ? ', bearer token required' : ''}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      void s.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
