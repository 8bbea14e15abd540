/**
 * The frame layer against every captured frame: cut, decode, re-encode byte for byte; the decoder
 * under arbitrary chunk splits; every class of malformed input gives its typed error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ASSEMBLE_AFTER_FRACTION,
  ASSEMBLE_MIN_FRAME_BYTES,
  decodeFrame,
  encodeCommand,
  FrameDecoder,
  FrameError,
  MAX_KEPT_CHUNKS,
  prepareFrame,
  preparedFrameBody,
  preparedFrameBytes,
  SerializeType,
  type RemotingCommand,
} from '@ns/protocol';
import { listFixtures, loadFixture } from './fixtures.js';

const MALFORMED = new Map<string, string>([
  ['malformed-frame-too-long', 'NS_FRAME_TOO_LONG'],
  ['malformed-frame-too-short', 'NS_FRAME_TOO_SHORT'],
  ['malformed-header-length-exceeds-frame', 'NS_HEADER_LENGTH_EXCEEDS_FRAME'],
  ['malformed-invalid-json-header', 'NS_BAD_JSON_HEADER'],
  ['malformed-unknown-serialize-type', 'NS_UNKNOWN_SERIALIZE_TYPE'],
]);

/** Cut and decode a whole byte stream; errors surface as FrameError. */
function decodeStream(bytes: Buffer, split: (b: Buffer) => Buffer[]): RemotingCommand[] {
  const decoder = new FrameDecoder();
  const out: RemotingCommand[] = [];
  for (const chunk of split(bytes))
    for (const frame of decoder.push(chunk)) out.push(decodeFrame(frame));
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

const whole = (b: Buffer): Buffer[] => [b];

/** `b` cut at every offset in `cuts` (any order, repeats allowed). */
function cutAt(b: Buffer, cuts: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let last = 0;
  for (const p of [...new Set(cuts)].sort((x, y) => x - y)) {
    parts.push(b.subarray(last, p));
    last = p;
  }
  parts.push(b.subarray(last));
  return parts;
}
const byteByByte = (b: Buffer): Buffer[] => Array.from(b, (x) => Buffer.from([x]));

const wellFormed = listFixtures().filter((n) => !MALFORMED.has(n));

describe('every fixture frame', () => {
  it('covers all 115 captured frames', () => {
    let frames = 0;
    for (const name of listFixtures()) frames += loadFixture(name).response === null ? 1 : 2;
    expect(frames).toBe(115);
  });

  for (const name of wellFormed) {
    it(`${name}: decodes and re-encodes byte-equal`, () => {
      const { request, response } = loadFixture(name);
      for (const frame of response === null ? [request] : [request, response]) {
        const [cmd] = decodeStream(frame, whole);
        expect(cmd).toBeDefined();
        const decoded = cmd!;
        const type = frame.readUInt8(4);
        expect(decoded.serializeType).toBe(type);
        expect(decoded.opaque).toBe(decodeRaw(frame).opaque);
        expect(decoded.code).toBe(decodeRaw(frame).code);
        expect(encodeCommand(decoded).equals(frame)).toBe(true);
      }
    });
  }
});

/** Reads code and opaque straight from the bytes, independently of the decoder under test. */
function decodeRaw(frame: Buffer): { code: number; opaque: number } {
  const headerLength = frame.readUInt32BE(4) & 0xffffff;
  if (frame.readUInt8(4) === 1)
    return { code: frame.readInt16BE(8), opaque: frame.readInt32BE(13) };
  const header = JSON.parse(frame.toString('utf8', 8, 8 + headerLength)) as {
    code: number;
    opaque: number;
  };
  return { code: header.code, opaque: header.opaque };
}

describe('FrameDecoder chunking', () => {
  // All well-formed fixture frames back to back, as one connection would carry them.
  const stream = Buffer.concat(
    wellFormed.flatMap((n) => {
      const { request, response } = loadFixture(n);
      return response === null ? [request] : [request, response];
    }),
  );
  const reference = decodeStream(stream, whole);

  it('yields the same frames fed byte by byte', () => {
    expect(decodeStream(stream, byteByByte)).toEqual(reference);
  });

  it('yields the same frames for random splits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 60 }),
        (cuts) => {
          expect(decodeStream(stream, (b) => cutAt(b, cuts))).toEqual(reference);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('keeps only the incomplete tail buffered', () => {
    const decoder = new FrameDecoder();
    const frame = loadFixture('get-route').request;
    expect(decoder.push(frame.subarray(0, 3))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    expect(decoder.push(frame.subarray(3, 10))).toEqual([]);
    const frames = decoder.push(Buffer.concat([frame.subarray(10), frame.subarray(0, 5)]));
    expect(frames).toHaveLength(1);
    expect(decoder.bufferedBytes).toBe(5);
  });

  it('says what it holds: bytes, separate chunks, and the length of the frame once announced', () => {
    const decoder = new FrameDecoder();
    const frame = loadFixture('get-route').request;
    expect([decoder.bufferedChunks, decoder.pendingFrameLength]).toEqual([0, null]);
    decoder.push(frame.subarray(0, 2));
    // Only part of the length field: the frame's length is not known yet.
    expect([decoder.bufferedBytes, decoder.bufferedChunks, decoder.pendingFrameLength]).toEqual([
      2,
      1,
      null,
    ]);
    decoder.push(frame.subarray(2, 9));
    decoder.push(frame.subarray(9, 12));
    expect(decoder.bufferedChunks).toBe(2);
    expect(decoder.pendingFrameLength).toBe(frame.length);
    expect(decoder.push(frame.subarray(12))).toHaveLength(1);
    expect([decoder.bufferedBytes, decoder.bufferedChunks, decoder.pendingFrameLength]).toEqual([
      0,
      0,
      null,
    ]);
  });
});

/** A raw frame (length field included) of `total` bytes after its length field. */
const rawFrame = (total: number, fill: number): Buffer => {
  const b = Buffer.alloc(4 + total, fill);
  b.writeInt32BE(total);
  return b;
};
/** A frame assembled in place, and one that is not. */
const big = rawFrame(ASSEMBLE_MIN_FRAME_BYTES * 4 - 4, 0x41);
const small = rawFrame(100, 0x42);

describe('FrameDecoder: large frames assembled in place', () => {
  it('fills one buffer of exactly the frame once an eighth arrived, and charges all of it', () => {
    const decoder = new FrameDecoder();
    const chunk = 64 * 1024;
    let at = 0;
    // Before an eighth: the chunks as read, held bytes = received bytes.
    while (at + chunk < big.length / ASSEMBLE_AFTER_FRACTION) {
      expect(decoder.push(big.subarray(at, at + chunk))).toEqual([]);
      at += chunk;
      expect([decoder.bufferedBytes, decoder.heldBytes]).toEqual([at, at]);
    }
    expect(decoder.push(big.subarray(at, at + chunk))).toEqual([]);
    at += chunk;
    expect([decoder.bufferedBytes, decoder.heldBytes, decoder.bufferedChunks]).toEqual([
      at,
      big.length,
      1,
    ]);
    expect(decoder.pendingFrameLength).toBe(big.length);
    let frames: Buffer[] = [];
    while (at < big.length) {
      // The last read also brings the next (small) frame and half of the one after it.
      const last = at + chunk >= big.length;
      const piece = last
        ? Buffer.concat([big.subarray(at), small, small.subarray(0, 50)])
        : big.subarray(at, at + chunk);
      frames = decoder.push(piece);
      at += chunk;
      if (!last) expect(frames).toEqual([]);
    }
    expect(frames).toHaveLength(2);
    const [first, second] = frames as [Buffer, Buffer];
    expect(first.equals(big.subarray(4))).toBe(true);
    // Its own buffer, nothing else in it: a consumer may move that memory elsewhere.
    expect([first.byteOffset, first.buffer.byteLength]).toEqual([4, big.length]);
    expect(second.equals(small.subarray(4))).toBe(true);
    expect([decoder.bufferedBytes, decoder.heldBytes, decoder.pendingFrameLength]).toEqual([
      50,
      50,
      small.length,
    ]);
    expect(decoder.push(small.subarray(50))).toHaveLength(1);
    expect([decoder.bufferedBytes, decoder.heldBytes, decoder.bufferedChunks]).toEqual([0, 0, 0]);
  });

  it('assembles in place straight from a read whose tail is already an eighth of a frame', () => {
    const decoder = new FrameDecoder();
    const head = big.length / 2;
    expect(decoder.push(Buffer.concat([small, big.subarray(0, head)]))).toHaveLength(1);
    expect([decoder.bufferedBytes, decoder.heldBytes]).toEqual([head, big.length]);
    const [frame] = decoder.push(big.subarray(head));
    expect(frame!.equals(big.subarray(4))).toBe(true);
  });

  it('allocates nothing for a frame only announced (a hostile length field)', () => {
    const decoder = new FrameDecoder();
    decoder.push(rawFrame(decoder.maxFrameLength - 4, 0).subarray(0, 64 * 1024));
    expect([decoder.bufferedBytes, decoder.heldBytes]).toEqual([64 * 1024, 64 * 1024]);
  });

  it('yields the same frames for random splits of large and small frames', () => {
    const frames = [small, big, small, small, big, rawFrame(300_000, 0x43), small];
    const stream = Buffer.concat(frames);
    const reference = frames.map((f) => f.subarray(4));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 200 }),
        (cuts) => {
          const decoder = new FrameDecoder();
          const out = cutAt(stream, cuts).flatMap((c) => decoder.push(c));
          // (Buffer.equals: a deep toEqual walks a megabyte byte by byte.)
          expect(out.length).toBe(reference.length);
          for (const [i, f] of out.entries()) expect(f.equals(reference[i]!)).toBe(true);
          expect(decoder.heldBytes).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('FrameDecoder: a frame trickled in tiny chunks', () => {
  for (const [name, frame] of [
    ['a frame under the in-place size', rawFrame(200_000, 0x44)],
    ['a large frame, until it is assembled in place', big],
  ] as const) {
    it(`${name}: past ${MAX_KEPT_CHUNKS} chunks its bytes go to one buffer that grows by doubling`, () => {
      for (const transient of [false, true]) {
        const decoder = new FrameDecoder();
        const scratch = Buffer.alloc(1);
        let frames: Buffer[] = [];
        let at = 0;
        for (; at < frame.length; at++) {
          let piece = frame.subarray(at, at + 1);
          if (transient) {
            frame.copy(scratch, 0, at, at + 1);
            piece = scratch;
          }
          frames = transient ? decoder.pushTransient(piece) : decoder.push(piece);
          if (transient) scratch[0] = 0xee;
          if (frames.length > 0) break;
          // The frame's own buffer once an eighth of a large frame is in: the rest in one go.
          if (decoder.heldBytes === frame.length) break;
          // Bookkeeping stays bounded: at most MAX_KEPT_CHUNKS buffers, at most twice what came
          // or 16 KiB. (Checked now and then: an expect per byte is most of the test's time.)
          if (at % 997 === 0) {
            expect(decoder.bufferedChunks).toBeLessThanOrEqual(MAX_KEPT_CHUNKS);
            expect(decoder.heldBytes).toBeLessThanOrEqual(Math.max(16 * 1024, 2 * (at + 1)));
          }
        }
        if (frames.length === 0) frames = decoder.push(frame.subarray(at + 1));
        expect(frames).toHaveLength(1);
        expect(frames[0]!.equals(frame.subarray(4))).toBe(true);
        expect([decoder.bufferedBytes, decoder.heldBytes, decoder.bufferedChunks]).toEqual([
          0, 0, 0,
        ]);
      }
    });
  }

  it('a staged frame completed by a read that also carries the next frames yields them all', () => {
    const decoder = new FrameDecoder();
    const frame = rawFrame(5_000, 0x45);
    for (let at = 0; at < 100; at++) expect(decoder.push(frame.subarray(at, at + 1))).toEqual([]);
    expect(decoder.bufferedChunks).toBe(1);
    const out = decoder.push(
      Buffer.concat([frame.subarray(100), small, small, small.subarray(0, 7)]),
    );
    expect(out.map((f) => f.length)).toEqual([
      frame.length - 4,
      small.length - 4,
      small.length - 4,
    ]);
    expect(out[0]!.equals(frame.subarray(4))).toBe(true);
    expect([decoder.bufferedBytes, decoder.bufferedChunks]).toEqual([7, 1]);
  });
});

describe('FrameDecoder: reads into a reused buffer (pushTransient, readTarget)', () => {
  const route = loadFixture('get-route').request;

  /**
   * Feeds `stream` as a socket with one reused read buffer would: each read copies at most
   * `readSize` bytes into `scratch` (or straight into the decoder's read target), then the
   * scratch is scribbled over before the next read. Returns the frames' bytes.
   */
  function feed(stream: Buffer, readSize: number, decoder = new FrameDecoder()): Buffer[] {
    const scratch = Buffer.alloc(64 * 1024);
    const frames: Buffer[] = [];
    let at = 0;
    while (at < stream.length) {
      const target = decoder.readTarget(readSize);
      if (target !== null) {
        const n = stream.copy(target, 0, at, Math.min(stream.length, at + target.length));
        at += n;
        frames.push(...decoder.landedInPlace(n));
      } else {
        const n = stream.copy(scratch, 0, at, Math.min(stream.length, at + readSize));
        at += n;
        frames.push(...decoder.pushTransient(scratch.subarray(0, n)));
      }
      scratch.fill(0xee);
    }
    expect(decoder.bufferedBytes).toBe(0);
    return frames;
  }

  it('keeps no view of a transient chunk: every frame survives the buffer being reused', () => {
    const stream = Buffer.concat([route, small, route, big, small, route, small]);
    const expected = new FrameDecoder().push(stream).map((f) => Buffer.from(f));
    for (const readSize of [1, 3, 7, 100, 4096, 65536]) {
      const frames = feed(stream, readSize);
      expect(frames.map((f) => f.toString('hex'))).toEqual(expected.map((f) => f.toString('hex')));
    }
  });

  it('keeps no view of a transient chunk that completes a frame assembled in place and carries the next ones', () => {
    // Pushed whole, never read in place: the read completing the large frame also holds whole
    // frames after it, which must not stay views of the reused buffer.
    const decoder = new FrameDecoder();
    const first = Math.ceil(big.length / ASSEMBLE_AFTER_FRACTION) + 16;
    expect(decoder.pushTransient(Buffer.from(big.subarray(0, first)))).toEqual([]);
    expect(decoder.readTarget(1)).not.toBeNull(); // assembled in place from here on
    const scratch = Buffer.concat([big.subarray(first), small, route]);
    const frames = decoder.pushTransient(scratch);
    scratch.fill(0xee);
    expect(frames.map((f) => f.toString('hex'))).toEqual(
      [big, small, route].map((f) => f.subarray(4).toString('hex')),
    );
  });

  it('reads the rest of a large frame straight into its own buffer, at most maxBytes at a time', () => {
    const decoder = new FrameDecoder();
    let at = 0;
    // Until an eighth arrived there is nowhere to read in place.
    while (decoder.readTarget(1 << 20) === null) {
      decoder.pushTransient(Buffer.from(big.subarray(at, at + 65536)));
      at += 65536;
    }
    expect(at).toBeGreaterThanOrEqual(big.length / ASSEMBLE_AFTER_FRACTION);
    const target = decoder.readTarget(100_000)!;
    expect(target.length).toBe(100_000);
    const frame0 = decoder.readTarget(1 << 30)!;
    // The target is the unfilled part of one buffer of exactly the frame.
    expect([frame0.length, frame0.buffer.byteLength]).toEqual([big.length - at, big.length]);
    const frames = feed(big.subarray(at), 300_000, decoder);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.equals(big.subarray(4))).toBe(true);
    expect([frames[0]!.byteOffset, frames[0]!.buffer.byteLength]).toEqual([4, big.length]);
  });

  it('refuses a landing larger than the open target, and any after a frame error', () => {
    const decoder = new FrameDecoder();
    expect(() => decoder.landedInPlace(1)).toThrow(RangeError);
    const bad = Buffer.alloc(8);
    bad.writeInt32BE(2);
    expect(() => decoder.pushTransient(bad)).toThrow(FrameError);
    expect(decoder.readTarget(10)).toBeNull();
    expect(() => decoder.landedInPlace(1)).toThrow(FrameError);
  });
});

describe('malformed input', () => {
  for (const [name, code] of MALFORMED) {
    it(`${name} → ${code}`, () => {
      const { request, response } = loadFixture(name);
      expect(response).toBeNull();
      const attempt = (): RemotingCommand[] => decodeStream(request, whole);
      expect(attempt).toThrow(FrameError);
      try {
        attempt();
      } catch (err) {
        expect((err as FrameError).code).toBe(code);
      }
    });
  }

  it('rejects an oversized prefix before buffering the frame', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 1024 });
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(1021);
    expect(() => decoder.push(prefix)).toThrow(/exceeds the limit of 1024/);
    // A failed decoder stays failed: the connection is unusable.
    expect(() => decoder.push(Buffer.alloc(1))).toThrow(FrameError);
  });

  it('accepts a frame of exactly the limit', () => {
    const decoder = new FrameDecoder({ maxFrameLength: 64 });
    const frame = Buffer.alloc(64);
    frame.writeInt32BE(60);
    frame.writeUInt32BE(2, 4);
    Buffer.from('{}').copy(frame, 8);
    expect(decoder.push(frame)).toHaveLength(1);
  });

  it('refuses a header over maxHeaderLength before parsing any of it, JSON or binary', () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      const cmd: RemotingCommand = {
        ...decodeFrame(loadFixture(wellFormed[0]!).request.subarray(4)),
        serializeType,
      };
      const frame = encodeCommand(cmd).subarray(4);
      const headerLength = frame.readUInt32BE(0) & 0xffffff;
      expect(decodeFrame(frame, { maxHeaderLength: headerLength }).code).toBe(cmd.code);
      let err: unknown;
      try {
        decodeFrame(frame, { maxHeaderLength: headerLength - 1 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FrameError);
      expect((err as FrameError).code).toBe('NS_HEADER_TOO_LONG');
      expect((err as FrameError).message).toBe(
        `header length ${headerLength} exceeds the limit of ${headerLength - 1} bytes`,
      );
    }
  });

  it('refuses a header length even one byte past the frame (its own word not counted)', () => {
    // A JSON header whose length word claims 1..4 bytes more than the frame holds: the frame
    // length counts the 4-byte word too, so only `frame.length - 4` bytes can be header.
    const header = Buffer.from('{"code":105,"opaque":1}');
    for (const over of [1, 2, 3, 4]) {
      const frame = Buffer.alloc(4 + header.length);
      frame.writeUInt32BE(header.length + over, 0);
      header.copy(frame, 4);
      expect(() => decodeFrame(frame)).toThrow(
        expect.objectContaining({ code: 'NS_HEADER_LENGTH_EXCEEDS_FRAME' }),
      );
    }
    const exact = Buffer.alloc(4 + header.length);
    exact.writeUInt32BE(header.length, 0);
    header.copy(exact, 4);
    expect(decodeFrame(exact)).toMatchObject({ code: 105, opaque: 1, body: null });
  });

  it('reads all 24 bits of the header length: a header over 64 KiB round-trips, JSON or binary', () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      const cmd: RemotingCommand = {
        code: 100,
        language: 'JAVA',
        version: 407,
        opaque: 3,
        flag: 0,
        remark: null,
        extFields: Object.assign(Object.create(null) as Record<string, string>, {
          namespace: 'N',
          key: 'k',
          value: 'v'.repeat(70_000),
        }),
        body: Buffer.from('after the header'),
        serializeType,
      };
      const frame = encodeCommand(cmd).subarray(4);
      expect(frame.readUInt32BE(0) & 0xffffff).toBeGreaterThan(0xffff);
      const back = decodeFrame(frame);
      expect(back.extFields?.['value']).toHaveLength(70_000);
      expect(back.body?.toString()).toBe('after the header');
    }
  });

  it('reports a truncated binary header', () => {
    const frame = Buffer.from('0000000a01000006006900019700', 'hex');
    expect(() => decodeFrame(frame.subarray(4))).toThrow(
      expect.objectContaining({ code: 'NS_BAD_BINARY_HEADER' }),
    );
  });

  it('reports a remark that leaves no room for the ext-fields length word as a FrameError', () => {
    const cmd: RemotingCommand = {
      code: 105,
      language: 'JAVA',
      version: 407,
      opaque: 1,
      flag: 0,
      remark: 'abcdef',
      extFields: null,
      body: null,
      serializeType: SerializeType.ROCKETMQ,
    };
    const frame = encodeCommand(cmd);
    // The remark length grown by 1..4 bytes: it ends inside the 4-byte ext-fields length word.
    for (const over of [1, 2, 3, 4]) {
      const bad = Buffer.from(frame);
      bad.writeInt32BE(6 + over, 8 + 13);
      expect(() => decodeFrame(bad.subarray(4))).toThrow(
        expect.objectContaining({ code: 'NS_BAD_BINARY_HEADER' }),
      );
    }
  });

  it('reports an ext key that leaves no room for its value length word as a FrameError', () => {
    const cmd: RemotingCommand = {
      code: 105,
      language: 'JAVA',
      version: 407,
      opaque: 1,
      flag: 0,
      remark: null,
      extFields: Object.assign(Object.create(null) as Record<string, string>, { topic: 'T' }),
      body: null,
      serializeType: SerializeType.ROCKETMQ,
    };
    const frame = encodeCommand(cmd);
    // Entries start at 8 + 21: key length (2) 'topic' (5), value length (4) 'T' (1). The key
    // length grown by 1..4 bytes ends inside the value length word (or past the map).
    for (const over of [1, 2, 3, 4]) {
      const bad = Buffer.from(frame);
      bad.writeInt16BE(5 + over, 8 + 21);
      expect(() => decodeFrame(bad.subarray(4))).toThrow(
        expect.objectContaining({ code: 'NS_BAD_BINARY_HEADER' }),
      );
    }
  });

  it('leaves out an ext field holding null (a Java map may hold one), JSON or binary', () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      const ext = Object.create(null) as Record<string, string | null>;
      ext['topic'] = 'T';
      ext['nothing'] = null;
      const cmd = {
        code: 105,
        language: 'JAVA',
        version: 407,
        opaque: 1,
        flag: 0,
        remark: null,
        extFields: ext as Record<string, string>,
        body: Buffer.from('body'),
        serializeType,
      } satisfies RemotingCommand;
      const bytes = encodeCommand(cmd);
      expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
      const back = decodeFrame(bytes.subarray(4));
      expect({ ...back.extFields }).toEqual({ topic: 'T' });
      expect(back.body?.toString()).toBe('body');
    }
  });

  it('reports an ext-field length past the header', () => {
    const cmd: RemotingCommand = {
      code: 105,
      language: 'JAVA',
      version: 407,
      opaque: 1,
      flag: 0,
      remark: null,
      extFields: Object.assign(Object.create(null) as Record<string, string>, { topic: 'T' }),
      body: null,
      serializeType: SerializeType.ROCKETMQ,
    };
    const frame = encodeCommand(cmd);
    frame.writeInt32BE(0x7fff, 8 + 17); // extFields length → beyond the header
    expect(() => decodeFrame(frame.subarray(4))).toThrow(
      expect.objectContaining({ code: 'NS_BAD_BINARY_HEADER' }),
    );
  });

  it('reads an empty binary ext value as absent (Java reads a zero-length string as null)', () => {
    const cmd: RemotingCommand = {
      code: 100,
      language: 'JAVA',
      version: 407,
      opaque: 1,
      flag: 0,
      remark: null,
      extFields: Object.assign(Object.create(null) as Record<string, string>, {
        namespace: 'N',
        key: 'k',
        value: '',
      }),
      body: null,
      serializeType: SerializeType.ROCKETMQ,
    };
    const back = decodeFrame(encodeCommand(cmd).subarray(4));
    expect({ ...back.extFields }).toEqual({ namespace: 'N', key: 'k' });
  });

  it('rejects JSON headers that are not objects or carry non-string ext values', () => {
    const frame = (header: string): Buffer => {
      const h = Buffer.from(header);
      const b = Buffer.alloc(4 + h.length);
      b.writeUInt32BE(h.length);
      h.copy(b, 4);
      return b;
    };
    expect(() => decodeFrame(frame('[1,2]'))).toThrow(
      expect.objectContaining({ code: 'NS_BAD_JSON_HEADER' }),
    );
    expect(() => decodeFrame(frame('{"code":"abc"}'))).toThrow(
      expect.objectContaining({ code: 'NS_BAD_JSON_HEADER' }),
    );
    expect(() => decodeFrame(frame('{"code":105,"extFields":{"a":{"b":1}}}'))).toThrow(
      /extFields\["a"\] is a object/,
    );
  });
});

describe('lenient JSON headers (what real clients send)', () => {
  const decodeHeader = (header: string): RemotingCommand => {
    const h = Buffer.from(header);
    const b = Buffer.alloc(4 + h.length);
    b.writeUInt32BE(h.length);
    h.copy(b, 4);
    return decodeFrame(b);
  };

  it('ali-ons: unsorted keys, numeric ext values, no remark', () => {
    const cmd = decodeHeader(
      '{"code":105,"language":"JAVA","opaque":1,"flag":0,"version":121,"extFields":{"topic":"T","n":3,"b":true}}',
    );
    expect(cmd).toMatchObject({
      code: 105,
      opaque: 1,
      version: 121,
      remark: null,
      language: 'JAVA',
    });
    expect({ ...cmd.extFields }).toEqual({ topic: 'T', n: '3', b: 'true' });
  });

  it('Go: remark "" and language GO, no serializeTypeCurrentRPC', () => {
    const cmd = decodeHeader(
      '{"code":105,"language":"GO","opaque":9,"flag":0,"remark":"","extFields":{"topic":"T"},"version":317}',
    );
    expect(cmd).toMatchObject({ language: 'GO', remark: '', version: 317 });
  });

  it('fastjson leniency: bare keys, single quotes, unknown language, ordinal language', () => {
    expect(decodeHeader("{code:105,'opaque':4,language:'martian'}")).toMatchObject({
      code: 105,
      opaque: 4,
      language: null,
    });
    expect(decodeHeader('{"code":105,"language":9}')).toMatchObject({ language: 'GO' });
    expect(decodeHeader('{"code":105,"language":"go"}')).toMatchObject({ language: 'GO' });
  });

  it('a number or boolean remark is read as its text (as fastjson does); an object is refused', () => {
    expect(decodeHeader('{"code":105,"remark":true}')).toMatchObject({ remark: 'true' });
    expect(decodeHeader('{"code":105,"remark":12}')).toMatchObject({ remark: '12' });
    expect(() => decodeHeader('{"code":105,"remark":{"a":1}}')).toThrow(
      expect.objectContaining({ code: 'NS_BAD_JSON_HEADER' }),
    );
  });

  it("missing keys keep Java's field defaults: language JAVA, version/opaque/flag 0, no remark or ext", () => {
    expect(decodeHeader('{"code":105}')).toMatchObject({
      code: 105,
      language: 'JAVA',
      version: 0,
      opaque: 0,
      flag: 0,
      remark: null,
      extFields: null,
    });
  });

  it('int fields hold 32 bits: 2147483647 and -2147483648 are read, one past either is refused', () => {
    expect(decodeHeader('{"code":105,"opaque":2147483647,"flag":0}')).toMatchObject({
      opaque: 2147483647,
    });
    expect(decodeHeader('{"code":105,"opaque":-2147483648,"flag":0}')).toMatchObject({
      opaque: -2147483648,
    });
    expect(decodeHeader('{"code":105,"opaque":"2147483647"}')).toMatchObject({
      opaque: 2147483647,
    });
    for (const opaque of ['2147483648', '-2147483649', '"2147483648"']) {
      expect(() => decodeHeader(`{"code":105,"opaque":${opaque}}`)).toThrow(
        expect.objectContaining({ code: 'NS_BAD_JSON_HEADER' }),
      );
    }
  });
});

describe('round trips (fast-check)', () => {
  // A binary header reads a zero-length value as null (absent), as Java does: such values do not
  // round-trip there (see 'reads an empty binary ext value as absent').
  const ext = (serializeType: 0 | 1) =>
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ minLength: serializeType, maxLength: 40 }),
      { maxKeys: 8 },
    );
  const command = (serializeType: 0 | 1) =>
    fc.record({
      code: fc.integer({ min: -32768, max: 32767 }),
      language: fc.constantFrom('JAVA', 'GO', 'OTHER', 'CPP', 'RUST'),
      version: fc.integer({ min: -32768, max: 32767 }),
      opaque: fc.integer({ min: -2147483648, max: 2147483647 }),
      flag: fc.integer({ min: 0, max: 3 }),
      remark: fc.option(fc.string({ minLength: serializeType === 1 ? 1 : 0, maxLength: 80 }), {
        nil: null,
      }),
      extFields: fc.option(
        ext(serializeType).filter((e) => serializeType === 0 || Object.keys(e).length > 0),
        { nil: null },
      ),
      body: fc.option(
        fc.uint8Array({ minLength: 1, maxLength: 300 }).map((u) => Buffer.from(u)),
        { nil: null },
      ),
      serializeType: fc.constant(serializeType),
    });

  for (const type of [0, 1] as const) {
    it(`${type === 0 ? 'JSON' : 'ROCKETMQ'} header: decode(encode(cmd)) == cmd`, () => {
      fc.assert(
        fc.property(command(type), (cmd) => {
          const frame = encodeCommand(cmd);
          expect(frame.readInt32BE(0)).toBe(frame.length - 4);
          const back = decodeFrame(frame.subarray(4));
          const norm = (c: RemotingCommand) => ({
            ...c,
            extFields: c.extFields === null ? null : { ...c.extFields },
          });
          expect(norm(back)).toEqual(norm(cmd));
        }),
        { numRuns: 500 },
      );
    });

    it(`${type === 0 ? 'JSON' : 'ROCKETMQ'} prepared frame == encodeCommand for any opaque`, () => {
      const opaque = fc.integer({ min: -2147483648, max: 2147483647 });
      fc.assert(
        fc.property(command(type), fc.array(opaque, { minLength: 1, maxLength: 4 }), (cmd, os) => {
          const prepared = prepareFrame(cmd);
          for (const o of [...os, 0, -1, 9, 10, -2147483648, 2147483647]) {
            const got = preparedFrameBytes(prepared, o);
            expect(got.equals(encodeCommand({ ...cmd, opaque: o }))).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    });

    it(`${type === 0 ? 'JSON' : 'ROCKETMQ'} prepared frame: its body as a view, its bytes in memory of their own`, () => {
      fc.assert(
        fc.property(command(type), (cmd) => {
          const prepared = prepareFrame(cmd);
          const body = cmd.body ?? Buffer.alloc(0);
          const inFrame = preparedFrameBody(prepared, body.length);
          expect(inFrame.equals(body)).toBe(true);
          // A view of the frame's own bytes, not a copy.
          const bytes = type === 0 ? prepared.tail : prepared.head;
          expect(inFrame.buffer).toBe(bytes.buffer);
          // Exactly-sized memory, not a slice of Node's shared 8 KiB pool (a long-lived slice
          // keeps the whole slab alive).
          for (const b of [prepared.head, prepared.tail]) {
            if (b.length > 0) expect(b.buffer.byteLength).toBe(b.length);
          }
          expect(() => preparedFrameBody(prepared, bytes.length + 1)).toThrow(RangeError);
        }),
        { numRuns: 200 },
      );
    });

    it(`${type === 0 ? 'JSON' : 'ROCKETMQ'} prepared frame with an ext value mimicking the opaque key`, () => {
      const ext = Object.assign(Object.create(null) as Record<string, string>, {
        ',"opaque":0': ',"opaque":0,',
      });
      const cmd: RemotingCommand = {
        code: 0,
        language: 'JAVA',
        version: 399,
        opaque: 1,
        flag: 1,
        remark: ',"opaque":0',
        extFields: ext,
        body: Buffer.from('{"opaque":0}'),
        serializeType: type,
      };
      const prepared = prepareFrame(cmd);
      for (const o of [0, 5, -12345, 2147483647]) {
        expect(preparedFrameBytes(prepared, o).equals(encodeCommand({ ...cmd, opaque: o }))).toBe(
          true,
        );
      }
    });
  }
});
