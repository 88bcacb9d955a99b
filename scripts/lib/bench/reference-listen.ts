// How both reference servers (raw node:http and bare Hono) listen and stop: like the shop's services,
// on PORT (0 picks one) at 127.0.0.1, announcing the port in the JSON line the harness reads, and
// closing on SIGTERM.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenAsReference(server: Server, service: string): void {
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', service, port, adminPort: 0 })}\n`);
  });
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}
