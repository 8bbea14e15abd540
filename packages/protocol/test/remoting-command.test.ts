/**
 * Requests and responses as commands: what a response takes from its request (Java's
 * `createResponseCommand` + `setOpaque`, and the serialize type the handlers mirror), and what
 * it does not.
 */
import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, isOneway, isResponse, SerializeType } from '@ns/protocol';

describe('createResponse', () => {
  it("takes the request's opaque and serialize type; its flag is the response bit alone", () => {
    for (const serializeType of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
      // Flag bits a client may set that mean nothing to a response (Java starts a response at 0).
      const request = { ...createRequest({ code: 105, opaque: 77, serializeType }), flag: 0x4 };
      const response = createResponse(request, { code: 17, remark: 'no route', version: 479 });
      expect(response).toMatchObject({
        code: 17,
        opaque: 77,
        serializeType,
        flag: 1,
        language: 'JAVA',
        version: 479,
        remark: 'no route',
        extFields: null,
        body: null,
      });
      expect(isResponse(response)).toBe(true);
      expect(isOneway(response)).toBe(false);
    }
  });
});
