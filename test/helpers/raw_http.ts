// One HTTP request to a loopback server with exactly the headers given (Host included, unlike
// fetch), as a browser on another site or a DNS-rebound name could send it — for the servers'
// guard tests.
import { request } from 'node:http';

export interface RawAnswer<J = unknown> {
  status: number;
  text: string;
  json: () => J;
}

export function rawRequest<J = unknown>(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer<J>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as J });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
