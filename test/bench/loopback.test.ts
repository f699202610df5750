/**
 * bench/loopback: a fleet over one server port's ephemeral-port budget is
 * spread over several loopback destinations, and a server listening on
 * 0.0.0.0 is reachable on 127.0.0.2 (a real socket, not a mock).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ephemeralPortCount, listenHostFor, loopbackAddressesFor, spreadTargets } from '../../bench/loopback';
import { parseBenchOptions } from '../../bench/options';

describe('bench loopback spread', () => {
  it('reads the ephemeral port range, falling back to the Linux default', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopback-'));
    try {
      const file = path.join(dir, 'range');
      fs.writeFileSync(file, '10000\t10999\n');
      assert.equal(ephemeralPortCount(file), 1000);
      assert.equal(ephemeralPortCount(path.join(dir, 'missing')), 60999 - 32768 + 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one address up to 80% of the range and adds one per further 80%', () => {
    const ports = 60999 - 32768 + 1;
    assert.equal(loopbackAddressesFor(20_000, ports), 1);
    assert.equal(loopbackAddressesFor(30_000, ports), 2);
    assert.equal(loopbackAddressesFor(60_000, ports), 3);
    assert.equal(listenHostFor(1), '127.0.0.1');
    assert.equal(listenHostFor(2), '0.0.0.0');
    assert.throws(() => loopbackAddressesFor(1_000_000, 1000), /loopback addresses/);
  });

  it('orders targets address by address, so node i still starts on replica i mod replicas', () => {
    assert.equal(spreadTargets([7000], 1), '127.0.0.1:7000');
    assert.equal(spreadTargets([7000, 7001], 2), '127.0.0.1:7000,127.0.0.1:7001,127.0.0.2:7000,127.0.0.2:7001');
  });

  it('reaches a server listening on 0.0.0.0 through 127.0.0.2', async () => {
    const server = net.createServer((s) => s.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, listenHostFor(2), resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.2');
        let text = '';
        c.on('data', (d) => (text += d.toString()));
        c.on('end', () => resolve(text));
        c.on('error', reject);
      });
      assert.equal(got, 'hi');
    } finally {
      server.close();
    }
  });

  it('--loopback-addresses: auto by default, a count in [1, 254], refused otherwise and with --target', () => {
    assert.equal(parseBenchOptions([]).loopbackAddresses, 'auto');
    assert.equal(parseBenchOptions(['--loopback-addresses', '3']).loopbackAddresses, 3);
    for (const bad of ['0', '255', '1.5', 'x']) assert.throws(() => parseBenchOptions([`--loopback-addresses=${bad}`]), /--loopback-addresses must be auto or a whole number/);
    assert.throws(() => parseBenchOptions(['--loopback-addresses=2', '--target', 'h:1']), /cannot be used with --target/);
  });
});
