// The annotation web server over one queue folder, plain node:http:
//   GET  /               the annotation page (page.ts: one self-contained HTML document)
//   GET  /api/state      {items, decisions, progress, warnings} as readQueue returns them
//   POST /api/decision   {id, decision: accept|edit|reject, response?} → recorded durably through
//                        decide() (on disk before the answer), then 200 with the new state
// Bad requests get a JSON {error} with a 4xx status: malformed JSON or fields 400, unknown id 404,
// unknown route 404, wrong method 405, a body over 4 MiB 413. Anything else (an unreadable queue)
// is 500 with its message; the server keeps answering either way. It reads the folder on every
// request, so decisions made by another process (an annotate run with auto: accept) show up on reload.
// Other web pages in the annotator's browser must not decide anything (common/http_guard.ts): a Host
// that is not this server's (DNS rebinding) is 421, a foreign Origin 403, a POST that is not
// application/json 415, and a POST without the session's token (a random value made at start,
// embedded in the page, sent back as X-Annotate-Token) 403 — all before the body is read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostGuard, requireJsonBody } from '../common/http_guard.js';
import { AnnotationError, decide, readQueue } from './queue.js';
import { annotationPage } from './page.js';

export interface AnnotationServerOptions {
  dir: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Host names answered besides the loopback ones and the bind address (name or name:port; '*' any);
   * on a non-loopback bind address, Host is checked only when this is given.
   */
  allowedHosts?: readonly string[] | null;
  /** One line per request; default none. */
  log?: (line: string) => void;
}

export interface AnnotationServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 4 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_BODY) throw new HttpError(413, `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON: ${(e as Error).message}`);
  }
}

export async function startAnnotationServer(o: AnnotationServerOptions): Promise<AnnotationServer> {
  if (!existsSync(o.dir)) throw new Error(`annotation queue ${o.dir}: no such folder`);
  readQueue(o.dir); // refuse a broken queue at start rather than on the first request
  const host = o.host ?? '127.0.0.1';
  const guard = hostGuard({ bindHost: host, allowedHosts: o.allowedHosts });
  const token = randomBytes(32).toString('hex');
  const page = annotationPage(token);
  const tokenOk = (sent: string | string[] | undefined): boolean =>
    typeof sent === 'string' && sent.length === token.length && timingSafeEqual(Buffer.from(sent), Buffer.from(token));

  const handle = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const refused = guard.check(req);
    if (refused) throw new HttpError(refused.status, refused.message);
    if (path === '/' || path === '/index.html') {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} ${path}: use GET`);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(page),
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    if (path === '/api/state') {
      if (req.method !== 'GET') throw new HttpError(405, `${req.method} ${path}: use GET`);
      sendJson(res, 200, readQueue(o.dir));
      return;
    }
    if (path === '/api/decision') {
      if (req.method !== 'POST') throw new HttpError(405, `${req.method} ${path}: use POST`);
      const notJson = requireJsonBody(req, path);
      if (notJson) throw new HttpError(notJson.status, notJson.message);
      if (!tokenOk(req.headers['x-annotate-token']))
        throw new HttpError(
          403,
          `${req.headers['x-annotate-token'] === undefined ? 'no' : 'a wrong'} X-Annotate-Token header: decisions are taken only from this session's annotation page (reload the page if the server was restarted)`,
        );
      const body = await readJsonBody(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new HttpError(400, 'the body must be a JSON object {id, decision, response?}');
      const { id, decision, response } = body as Record<string, unknown>;
      if (typeof id !== 'string' || id === '') throw new HttpError(400, "field 'id' must be a non-empty string");
      try {
        decide(o.dir, id, decision as 'accept', response as string | undefined, 'human');
      } catch (e) {
        if (e instanceof AnnotationError) throw new HttpError(e.kind === 'unknown-id' ? 404 : 400, e.message);
        throw e;
      }
      sendJson(res, 200, readQueue(o.dir));
      return;
    }
    throw new HttpError(404, `no route ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    handle(req, res, path)
      .catch((e: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (e instanceof HttpError) sendJson(res, e.status, { error: e.message });
        else sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
      })
      .finally(() => o.log?.(`${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(0)} ms`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
