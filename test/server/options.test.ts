// Server option validation: defaults, and a message naming the option and its rule for each bad value.

import { describe, expect, it } from 'vitest';
import { fillOperationsOptions, fillServerOptions, InvalidServerOptionsError, type AtomicBroadcastServerOptionsInput } from '../../src/server/index.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';

function refusal(input: AtomicBroadcastServerOptionsInput): string {
  try {
    fillServerOptions(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidServerOptionsError);
    expect((error as InvalidServerOptionsError).code).toBe('SERVER_BAD_OPTIONS');
    return (error as Error).message;
  }
  throw new Error('options were accepted');
}

describe('fillServerOptions', () => {
  it('fills Fabric-sized defaults', () => {
    expect(fillServerOptions({ listenAddress: '127.0.0.1:7050' })).toEqual({
      listenAddress: '127.0.0.1:7050',
      tls: undefined,
      broadcastOutstandingMax: 256,
      maxReceiveMessageBytes: 100 * 1024 * 1024,
      maxSendMessageBytes: 100 * 1024 * 1024,
      maxConcurrentStreams: 1000,
      shutdownGraceMs: 5000,
      deliverTimeWindowMs: 900_000,
      broadcastAck: 'accepted',
      broadcastAckTimeoutMs: 10_000,
    });
  });

  it('accepts IPv6 listen addresses in brackets and port 0', () => {
    expect(fillServerOptions({ listenAddress: '[::1]:0' }).listenAddress).toBe('[::1]:0');
  });

  it.each([
    ['localhost', 'options.listenAddress must be host:port with a port 0..65535, got "localhost"'],
    ['127.0.0.1:70000', 'options.listenAddress must be host:port with a port 0..65535, got "127.0.0.1:70000"'],
    [':7050', 'options.listenAddress must be host:port with a port 0..65535, got ":7050"'],
  ])('refuses listenAddress %s', (listenAddress, message) => {
    expect(refusal({ listenAddress })).toBe(message);
  });

  it.each([
    [{ broadcastOutstandingMax: 0 }, 'options.broadcastOutstandingMax must be an integer in 1..65536, got 0'],
    [{ broadcastOutstandingMax: 1.5 }, 'options.broadcastOutstandingMax must be an integer in 1..65536, got 1.5'],
    [{ maxReceiveMessageBytes: 10 }, 'options.maxReceiveMessageBytes must be an integer in 1024..2147483647, got 10'],
    [{ maxSendMessageBytes: 2 ** 31 }, 'options.maxSendMessageBytes must be an integer in 1024..2147483647, got 2147483648'],
    [{ maxConcurrentStreams: 0 }, 'options.maxConcurrentStreams must be an integer in 1..1000000, got 0'],
    [{ shutdownGraceMs: -1 }, 'options.shutdownGraceMs must be an integer in 0..600000, got -1'],
    [{ deliverTimeWindowMs: 10 }, 'options.deliverTimeWindowMs must be an integer in 1000..604800000, got 10'],
    [{ broadcastAck: 'durable' as never }, `options.broadcastAck must be 'accepted' or 'committed', got "durable"`],
    [{ broadcastAckTimeoutMs: 5 }, 'options.broadcastAckTimeoutMs must be an integer in 100..600000, got 5'],
  ])('refuses %o', (bad, message) => {
    expect(refusal({ listenAddress: '127.0.0.1:0', ...bad })).toBe(message);
  });

  it('validates TLS material and the mutual-TLS rule', () => {
    expect(refusal({ listenAddress: '127.0.0.1:0', tls: { certPem: 'nope', keyPem: KEY } })).toBe('options.tls.certPem must be a PEM certificate');
    expect(refusal({ listenAddress: '127.0.0.1:0', tls: { certPem: CERT, keyPem: CERT } })).toBe('options.tls.keyPem must be a PEM private key');
    expect(refusal({ listenAddress: '127.0.0.1:0', tls: { certPem: CERT, keyPem: KEY, clientRootCasPem: [CERT, 'x'] } })).toBe(
      'options.tls.clientRootCasPem[1] must be a PEM certificate',
    );
    expect(refusal({ listenAddress: '127.0.0.1:0', tls: { certPem: CERT, keyPem: KEY, requireClientCert: true } })).toBe(
      'options.tls.requireClientCert needs at least one options.tls.clientRootCasPem to check client certificates against',
    );
    expect(fillServerOptions({ listenAddress: '127.0.0.1:0', tls: { certPem: CERT, keyPem: KEY } }).tls).toEqual({
      certPem: CERT,
      keyPem: KEY,
      clientRootCasPem: [],
      requireClientCert: false,
    });
  });
});

describe('fillOperationsOptions', () => {
  it('fills defaults', () => {
    expect(fillOperationsOptions({ listenAddress: '127.0.0.1:9443' })).toEqual({
      listenAddress: '127.0.0.1:9443',
      tls: undefined,
      requestTimeoutMs: 10_000,
      healthCheckTimeoutMs: 5000,
      connectionsMax: 64,
    });
  });

  it('refuses a health check bound that does not fit in the request bound', () => {
    expect(() => fillOperationsOptions({ listenAddress: '127.0.0.1:0', requestTimeoutMs: 1000, healthCheckTimeoutMs: 1000 })).toThrow(
      'options.healthCheckTimeoutMs must be less than options.requestTimeoutMs (1000), got 1000',
    );
  });

  it('refuses out-of-range bounds naming the option', () => {
    expect(() => fillOperationsOptions({ listenAddress: '127.0.0.1:0', connectionsMax: 0 })).toThrow(
      'options.connectionsMax must be an integer in 1..100000, got 0',
    );
    expect(() => fillOperationsOptions({ listenAddress: '127.0.0.1:0', requestTimeoutMs: 5 })).toThrow(
      'options.requestTimeoutMs must be an integer in 100..600000, got 5',
    );
  });
});
