/**
 * A TCP proxy on loopback in front of Redis that can lose replies: when a
 * client's request contains a chosen string, the proxy still forwards the
 * request (Redis runs it), drops whatever Redis answers, and cuts both
 * connections a moment later. The client sees a connection that died with
 * its command unanswered, exactly what a Redis restart or a network fault
 * does between "executed" and "reply received"; ioredis then reconnects and
 * sends the command again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface LossyProxy {
  /** `redis://127.0.0.1:PORT` of the proxy. */
  url: string;
  /**
   * Loses the reply of the `nth` request (1-based, counted from now) whose
   * bytes contain `marker`, then of every `every`-th after it, `times` in all.
   */
  loseReplies(marker: string, plan: { nth: number; every: number; times: number }): void;
  /** Replies lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

/** Starts a proxy to Redis on `targetPort` (see the module comment). */
export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let marker: string | null = null;
  let seen = 0;
  let plan = { nth: 0, every: 1, times: 0 };
  let lost = 0;

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    let cutting = false;
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    upstream.on('data', (d: Buffer) => {
      if (!cutting) client.write(d);
    });
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      if (cutting || marker === null || lost >= plan.times || !d.includes(marker)) return;
      seen++;
      if (seen < plan.nth || (seen - plan.nth) % plan.every !== 0) return;
      // Redis gets the request and runs it; its reply never reaches the client.
      cutting = true;
      lost++;
      setTimeout(end, 150);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    loseReplies(m, p) {
      marker = m;
      seen = 0;
      lost = 0;
      plan = p;
    },
    get lost() {
      return lost;
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
