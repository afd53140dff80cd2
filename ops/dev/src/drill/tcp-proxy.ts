import net from 'node:net';

/**
 * A TCP proxy that can stall: while paused it neither reads nor forwards in
 * either direction, so the connections stay open and the bytes wait in the
 * kernel's buffers — what a congested or flapping link between a service and
 * Postgres looks like from both ends (no RST, no FIN, just silence). The pg-stall
 * drill puts one between a subgraph and the database.
 */
export class PausingTcpProxy {
  private server?: net.Server;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  private paused = false;
  /** connections accepted so far (a drill checks the service really went through the proxy) */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listen on 127.0.0.1 (port 0: any free port); resolves with the port. */
  async listen(port = 0): Promise<number> {
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.setNoDelay(true);
      s.once('error', close);
      s.once('close', close);
    }
    // Not pipe(): a piped stream resumes itself when its destination drains, which would end a stall early.
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        if (!to.write(chunk)) from.pause();
      });
      to.on('drain', () => {
        if (!this.paused) from.resume();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    if (this.paused) this.hold(pair);
  }

  private hold(pair: [net.Socket, net.Socket]): void {
    for (const s of pair) s.pause();
  }

  /** Stop forwarding (both directions, every connection, new ones too) for `ms`, then go on. */
  async stall(ms: number): Promise<void> {
    this.paused = true;
    for (const p of this.pairs) this.hold(p);
    await new Promise((r) => setTimeout(r, ms));
    this.paused = false;
    for (const p of this.pairs) for (const s of p) s.resume();
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) (a.destroy(), b.destroy());
    this.pairs.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
