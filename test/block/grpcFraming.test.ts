// gRPC message framing: messages split over DATA chunks or packed several to
// a chunk come out whole and in order; too large, compressed without a known
// encoding, or undecompressable messages are refused with the status the call ends with.

import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameMessages, framePieces, GrpcFramingError, GrpcMessageReader } from '../../src/block/grpcFraming.js';

const hex = (messages: readonly Uint8Array[]) => messages.map((m) => Buffer.from(m).toString('hex'));

describe('gRPC framing', () => {
  it('property: a message framed from its pieces is the bytes of it framed whole, the pieces themselves not copied', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (pieces) => {
        const chunks = framePieces(pieces);
        expect(Buffer.concat(chunks).toString('hex')).toBe(frameMessages([Buffer.concat(pieces)]).toString('hex'));
        const nonEmpty = pieces.filter((p) => p.length > 0);
        expect(chunks.slice(1)).toHaveLength(nonEmpty.length);
        chunks.slice(1).forEach((chunk, i) => expect(chunk).toBe(nonEmpty[i]));
      }),
    );
  });

  it('property: any messages framed and cut into any chunks read back as the same messages', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat({ max: 400 }), { maxLength: 30 }), (messages, cuts) => {
        const framed = frameMessages(messages);
        const reader = new GrpcMessageReader(1024);
        const out: Buffer[] = [];
        let at = 0;
        for (const cut of cuts) {
          const end = Math.min(framed.length, at + cut);
          out.push(...reader.push(framed.subarray(at, end)));
          at = end;
        }
        out.push(...reader.push(framed.subarray(at)));
        expect(hex(out)).toEqual(hex(messages));
      }),
    );
  });

  it('refuses a message above the limit as RESOURCE_EXHAUSTED before it is read', () => {
    const reader = new GrpcMessageReader(10);
    const error = (() => {
      try {
        reader.push(frameMessages([new Uint8Array(11)]).subarray(0, 5));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GrpcFramingError);
    expect((error as GrpcFramingError).code).toBe(8);
    expect((error as Error).message).toBe('Received message larger than max (11 vs. 10)');
  });

  it('inflates gzip and deflate messages, bounded by the limit; other encodings are UNIMPLEMENTED', () => {
    const message = Buffer.from('an envelope, compressed by the client');
    const compressedFrame = (bytes: Buffer) => Buffer.concat([Buffer.from([1, 0, 0, 0, 0]).fill(bytes.length, 4, 5), bytes]);
    expect(hex(new GrpcMessageReader(1024, 'gzip').push(compressedFrame(zlib.gzipSync(message))))).toEqual(hex([message]));
    expect(hex(new GrpcMessageReader(1024, 'deflate').push(compressedFrame(zlib.deflateSync(message))))).toEqual(hex([message]));
    const codeOf = (reader: GrpcMessageReader, frame: Buffer) => {
      try {
        reader.push(frame);
        return undefined;
      } catch (e) {
        return (e as GrpcFramingError).code;
      }
    };
    expect(codeOf(new GrpcMessageReader(10, 'gzip'), compressedFrame(zlib.gzipSync(message)))).toBe(8);
    expect(codeOf(new GrpcMessageReader(1024, 'snappy'), compressedFrame(message))).toBe(12);
    expect(codeOf(new GrpcMessageReader(1024, 'gzip'), compressedFrame(message))).toBe(13);
  });
});
