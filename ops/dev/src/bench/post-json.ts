import http from 'node:http';

/**
 * A load generator's POST of JSON over kept-alive connections (node:http, one socket per
 * request in flight). The benchmark's own process shares the machine's two cores with the
 * stack it measures: WHATWG fetch spent ~2 ms of CPU per request here, node:http about half.
 */
export function jsonPoster(url: string, maxSockets: number): { post(headers: Record<string, string>, body: unknown): Promise<unknown>; close(): void } {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    post: (headers, body) =>
      new Promise((resolve, reject) => {
        const payload = Buffer.from(JSON.stringify(body));
        const req = http.request(
          {
            agent,
            method: 'POST',
            hostname: target.hostname,
            port: target.port,
            path: target.pathname + target.search,
            headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
              } catch (e) {
                reject(new Error(`HTTP ${res.statusCode}: not JSON (${(e as Error).message})`));
              }
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
}
