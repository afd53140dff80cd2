import net from 'node:net';
import { PausingTcpProxy } from '../src/drill/tcp-proxy';

/** The pg-stall drill's proxy: forwards both ways, and while stalled holds the bytes without closing anything. */
describe('PausingTcpProxy', () => {
  let echo: net.Server;
  let proxy: PausingTcpProxy;
  let port: number;

  beforeAll(async () => {
    echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    proxy = new PausingTcpProxy({ host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port });
    port = await proxy.listen();
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });

  it('echoes through, stalls for the time asked, then delivers what waited', async () => {
    const client = net.connect({ host: '127.0.0.1', port });
    const received: { at: number; data: string }[] = [];
    client.on('data', (d) => received.push({ at: Date.now(), data: d.toString() }));
    client.write('before');
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((r) => r.data).join('')).toBe('before');

    const stalled = proxy.stall(700);
    const sentAt = Date.now();
    client.write('during');
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((r) => r.data).join('')).toBe('before');
    await stalled;
    await new Promise((r) => setTimeout(r, 200));
    expect(received.map((r) => r.data).join('')).toBe('beforeduring');
    expect(received[received.length - 1].at - sentAt).toBeGreaterThanOrEqual(650);
    expect(client.destroyed).toBe(false);
    expect(proxy.accepted).toBe(1);
    client.destroy();
  });
});
