// Request guards for the local HTTP servers (serve, annotate-page) against web pages in the user's
// own browser, which can reach a loopback server too:
//   Host     DNS rebinding: a page at evil.example whose name is re-pointed at 127.0.0.1 talks to the
//            server as "evil.example". On a loopback bind address only the loopback names answer
//            (localhost, 127.0.0.1, [::1], the bind address), with no port or the server's own one;
//            anything else is 421. On a non-loopback address (0.0.0.0, a LAN address) the user chose
//            exposure, so Host is checked only when allowed hosts are given. Allowed hosts add names
//            ("box.lan": any port; "box.lan:8080": that port only); '*' allows every Host and Origin.
//   Origin   a request that carries an Origin header (browsers do on cross-site and on non-GET
//            requests) must come from the server's own origin: the Host it was addressed to, or an
//            allowed host at the server's port when Host is checked. Otherwise 403. No Origin (curl,
//            SDKs, same-origin GETs): allowed.
//   Content-Type  state-changing methods (POST, PUT, PATCH, DELETE) need application/json (a charset
//            parameter is fine): a cross-site form or text/plain POST, which a browser sends without
//            asking the server first, is 415.
// Each check returns a Refusal (status, machine code, message naming the header and how to allow it)
// or null; the servers put it in their own error shape. Knows nothing about routes.
import type { IncomingMessage } from 'node:http';

export interface Refusal {
  status: number;
  code: 'host_not_allowed' | 'origin_not_allowed' | 'unsupported_media_type';
  message: string;
}

export interface HostGuardOptions {
  /** The address the server listens on. */
  bindHost: string;
  /** Extra allowed Host names (name or name:port; '*' any); null/undefined: none given. */
  allowedHosts?: readonly string[] | null;
  /** How a user allows a host, for messages (default "--allowed-hosts"). */
  flag?: string;
}

export interface HostGuard {
  /** Host and Origin checks; null when the request may go on. */
  check(req: IncomingMessage): Refusal | null;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]', '']);
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a bind address only accepts connections from this machine. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}

/** "name[:port]" or "[v6][:port]" → lower-case name (IPv6 in brackets) and port; null when malformed. */
export function parseHostPort(value: string): { name: string; port: number | null } | null {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^\s:/[\]@?#]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) {
    // a bare IPv6 address (an entry such as ::1 written without brackets)
    if (/^[0-9a-f:.]+$/.test(v) && v.includes(':')) return { name: `[${v}]`, port: null };
    return null;
  }
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65535) return null;
  return { name: m[1]!, port };
}

/** Checks allowed-host entries up front; throws naming the bad entry. */
function parseAllowed(entries: readonly string[], flag: string): { name: string; port: number | null }[] {
  return entries
    .filter((e) => e.trim() !== '*')
    .map((e) => {
      const p = parseHostPort(e);
      if (!p) throw new Error(`${flag}: '${e}' is not a host name or host:port (no scheme or path; '*' allows any host)`);
      return p;
    });
}

export function hostGuard(o: HostGuardOptions): HostGuard {
  const flag = o.flag ?? '--allowed-hosts';
  const given = o.allowedHosts ?? null;
  const any = given?.some((e) => e.trim() === '*') ?? false;
  const extra = parseAllowed(given ?? [], flag);
  const enforced = !any && (isLoopbackAddress(o.bindHost) || given !== null);
  const bind = parseHostPort(o.bindHost);
  const builtin = new Set(LOOPBACK_NAMES);
  if (bind && !WILDCARD_ADDRESSES.has(bind.name)) builtin.add(bind.name);
  const shown = [...builtin, ...extra.map((e) => (e.port === null ? e.name : `${e.name}:${e.port}`))].join(', ');

  const allowed = (hostPort: { name: string; port: number | null }, serverPort: number): boolean =>
    (builtin.has(hostPort.name) && (hostPort.port === null || hostPort.port === serverPort)) ||
    extra.some((e) => e.name === hostPort.name && (e.port === null || e.port === hostPort.port));

  return {
    check(req) {
      const serverPort = req.socket.localPort ?? 0;
      const host = req.headers.host;
      if (enforced && host !== undefined) {
        const p = parseHostPort(host);
        if (!p || !allowed(p, serverPort))
          return {
            status: 421,
            code: 'host_not_allowed',
            message: `Host '${host}' is not allowed: this server on ${bind?.name ?? o.bindHost}:${serverPort} answers to ${shown} (a guard against DNS rebinding); to serve this name, start it with ${flag}=${p ? p.name.replace(/^\[|\]$/g, '') : host} (comma-separated, '*' for any)`,
          };
      }
      const origin = req.headers.origin;
      if (origin === undefined || any) return null;
      let url: URL | null = null;
      try {
        url = new URL(origin);
      } catch {
        url = null;
      }
      const sameAsHost = url !== null && host !== undefined && url.host === host.toLowerCase();
      let ok = url !== null && (url.protocol === 'http:' || url.protocol === 'https:') && sameAsHost;
      if (!ok && url !== null && enforced && (url.protocol === 'http:' || url.protocol === 'https:')) {
        const p = parseHostPort(url.host);
        const port = p?.port ?? (url.protocol === 'https:' ? 443 : 80);
        ok = p !== null && allowed({ name: p.name, port }, serverPort);
      }
      if (ok) return null;
      const own = host ? `http://${host}` : `http://${o.bindHost}:${serverPort}`;
      const name = url && url.hostname ? url.hostname.replace(/^\[|\]$/g, '') : '<host>';
      return {
        status: 403,
        code: 'origin_not_allowed',
        message: `cross-origin request from Origin '${origin}' refused: this server answers requests from its own origin (${own}) or without an Origin header (curl, SDKs); to allow pages from that host, start it with ${flag}=${name}`,
      };
    },
  };
}

/** 415 unless a state-changing request says Content-Type: application/json; null otherwise. */
export function requireJsonBody(req: IncomingMessage, path: string): Refusal | null {
  if (!STATE_CHANGING.has(req.method ?? '')) return null;
  const raw = req.headers['content-type'];
  const type = (raw ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return null;
  return {
    status: 415,
    code: 'unsupported_media_type',
    message: `${req.method} ${path} needs Content-Type: application/json, got ${raw === undefined ? 'none' : `'${raw}'`}`,
  };
}
