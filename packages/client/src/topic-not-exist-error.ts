/**
 * TOPIC_NOT_EXIST is an expected answer to a route query (producers fall back to the TBW102
 * template route, reference §7.4), so it gets its own class: callers can tell it apart from
 * real failures with `instanceof` or `isTopicNotExist` without comparing response codes.
 */
import { RequestCode, ResponseCode } from '@ns/protocol';
import { ResponseError } from './errors.js';

export class TopicNotExistError extends ResponseError {
  override name = 'TopicNotExistError';
  readonly topic: string;
  constructor(topic: string, remark: string | undefined, addr: string) {
    super(ResponseCode.TOPIC_NOT_EXIST, remark, {
      requestCode: RequestCode.GET_ROUTEINFO_BY_TOPIC,
      addr,
    });
    this.topic = topic;
  }
}

export function isTopicNotExist(err: unknown): err is TopicNotExistError {
  return err instanceof TopicNotExistError;
}
