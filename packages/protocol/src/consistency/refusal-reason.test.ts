import { describe, expect, it } from 'vitest';
import { refusalReason } from './refusal-reason.js';

describe('refusalReason', () => {
  it("takes a refusal's JSON error, on one line and bounded", () => {
    expect(refusalReason('{"error":"add it to httpAllowedHosts"}')).toBe(
      'add it to httpAllowedHosts',
    );
    expect(refusalReason('{"error":"a\\nb\\u001b[31m c"}')).toBe('a b [31m c');
    const long = refusalReason(JSON.stringify({ error: 'x'.repeat(600) }));
    expect(long).toHaveLength(501);
    expect(long?.endsWith('…')).toBe(true);
  });

  it('says nothing for what is not such an answer', () => {
    for (const body of ['', 'Forbidden', '{"error":3}', '{"error":"  "}', 'null', '[1]', '{"err']) {
      expect(refusalReason(body), body).toBeNull();
    }
  });
});
