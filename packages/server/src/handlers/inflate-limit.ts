import { InflatedBodyTooLargeError } from '@ns/protocol';

/**
 * The codec's "inflates past the limit" error, naming the config key that sets the limit, so an
 * operator reading the refusal knows what to raise. Used where register bodies are decoded: the
 * handler, and a serving side's decode thread.
 */
export function namedLimit(err: InflatedBodyTooLargeError): InflatedBodyTooLargeError {
  return new InflatedBodyTooLargeError(`${err.message} (maxInflatedRegisterBodyBytes)`, err.limit, {
    cause: err,
  });
}
