/** Headers of the KV-config requests: PUT (100), GET (101), DELETE (102), GET_KVLIST_BY_NAMESPACE (219). */
import type { ExtFields } from '../remoting-command.js';
import { decodeHeader, encodeHeader, type HeaderSpec } from './header-codec.js';

export interface PutKVConfigRequestHeader {
  namespace: string;
  key: string;
  value: string;
}

/**
 * Marked required in Java, but a missing field is read as null, which no entry matches: a GET
 * answers "not found" (naming `null`), a DELETE does nothing. Both succeed as such.
 */
export interface GetKVConfigRequestHeader {
  namespace?: string;
  key?: string;
}

export interface GetKVConfigResponseHeader {
  value?: string;
}

export type DeleteKVConfigRequestHeader = GetKVConfigRequestHeader;

/** Missing namespace: "not found", naming `null` (see GetKVConfigRequestHeader). */
export interface GetKVListByNamespaceRequestHeader {
  namespace?: string;
}

const PUT: HeaderSpec = {
  name: 'PutKVConfigRequestHeader',
  fields: [
    { prop: 'namespace', ext: 'namespace', kind: 'string', required: true },
    { prop: 'key', ext: 'key', kind: 'string', required: true },
    { prop: 'value', ext: 'value', kind: 'string', required: true },
  ],
};
const GET: HeaderSpec = {
  name: 'GetKVConfigRequestHeader',
  fields: [
    { prop: 'namespace', ext: 'namespace', kind: 'string', required: false },
    { prop: 'key', ext: 'key', kind: 'string', required: false },
  ],
};
const GET_RESPONSE: HeaderSpec = {
  name: 'GetKVConfigResponseHeader',
  fields: [{ prop: 'value', ext: 'value', kind: 'string', required: false }],
};
const DELETE: HeaderSpec = { name: 'DeleteKVConfigRequestHeader', fields: GET.fields };
const LIST: HeaderSpec = {
  name: 'GetKVListByNamespaceRequestHeader',
  fields: [{ prop: 'namespace', ext: 'namespace', kind: 'string', required: false }],
};

type Ext = Readonly<Record<string, unknown>> | null;
type Extra = Readonly<Record<string, string>>;

export function decodePutKVConfigRequestHeader(ext: Ext): PutKVConfigRequestHeader {
  return decodeHeader(PUT, ext) as unknown as PutKVConfigRequestHeader;
}
export function encodePutKVConfigRequestHeader(
  h: PutKVConfigRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(PUT, h, extra);
}

export function decodeGetKVConfigRequestHeader(ext: Ext): GetKVConfigRequestHeader {
  return decodeHeader(GET, ext);
}
export function encodeGetKVConfigRequestHeader(
  h: GetKVConfigRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(GET, h, extra);
}

export function decodeGetKVConfigResponseHeader(ext: Ext): GetKVConfigResponseHeader {
  return decodeHeader(GET_RESPONSE, ext);
}
/** `{"value":…}`, or `{}` on a miss (Java still builds the response from the header class). */
export function encodeGetKVConfigResponseHeader(h: GetKVConfigResponseHeader): ExtFields {
  return encodeHeader(GET_RESPONSE, h);
}

export function decodeDeleteKVConfigRequestHeader(ext: Ext): DeleteKVConfigRequestHeader {
  return decodeHeader(DELETE, ext);
}
export function encodeDeleteKVConfigRequestHeader(
  h: DeleteKVConfigRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(DELETE, h, extra);
}

export function decodeGetKVListByNamespaceRequestHeader(
  ext: Ext,
): GetKVListByNamespaceRequestHeader {
  return decodeHeader(LIST, ext);
}
export function encodeGetKVListByNamespaceRequestHeader(
  h: GetKVListByNamespaceRequestHeader,
  extra?: Extra,
): ExtFields {
  return encodeHeader(LIST, h, extra);
}
