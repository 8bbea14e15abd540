/**
 * Which request class's access policy each data view of the HTTP admin port follows
 * (http-admin-server.ts), and the signed remoting request that serves the same data: the view a
 * path names, for the 403 answers of a view whose class is not `open`. Also the paths of the views
 * with a parameter, which the server routes by as well.
 */
import type { RequestClass } from '../security/request-classes.js';

export const ROUTE_PATH = /^\/topics\/([^/]+)\/route$/;
export const TOPIC_PATH = /^\/topics\/([^/]+)$/;
export const KV_PATH = /^\/kv\/([^/]+)$/;

/** The request class of a data view, and the remoting request that serves the same data signed. */
export interface ViewAccess {
  readonly view: string;
  readonly requestClass: RequestClass;
  readonly remoting: string;
}

const ROUTE_VIEW = (view: string, remoting: string): ViewAccess => ({
  view,
  requestClass: 'route-read',
  remoting,
});
const EXACT_VIEWS: ReadonlyMap<string, ViewAccess> = new Map([
  ['/clusters', ROUTE_VIEW('/clusters', 'GET_BROKER_CLUSTER_INFO, e.g. nsadmin clusterList')],
  ['/brokers', ROUTE_VIEW('/brokers', 'GET_BROKER_CLUSTER_INFO, e.g. nsadmin clusterList')],
  ['/topics', ROUTE_VIEW('/topics', 'GET_ALL_TOPIC_LIST_FROM_NAMESERVER, e.g. nsadmin topicList')],
  ['/digest', ROUTE_VIEW('/digest', 'the route reads, e.g. nsadmin clusterList and topicRoute')],
  [
    '/digest/topics',
    ROUTE_VIEW('/digest/topics', 'the route reads, e.g. nsadmin clusterList and topicRoute'),
  ],
  [
    '/consistency',
    ROUTE_VIEW('/consistency', 'the route reads, e.g. nsadmin clusterList and topicRoute'),
  ],
  [
    '/kv',
    {
      view: '/kv',
      requestClass: 'admin-read',
      remoting: 'GET_KVLIST_BY_NAMESPACE, e.g. nsadmin getKvList -s <namespace>',
    },
  ],
  [
    '/config',
    {
      view: '/config',
      requestClass: 'admin-read',
      remoting: 'GET_NAMESRV_CONFIG, e.g. nsadmin getNamesrvConfig',
    },
  ],
]);
const KV_NAMESPACE_VIEW: ViewAccess = {
  view: '/kv/{namespace}',
  requestClass: 'admin-read',
  remoting: 'GET_KVLIST_BY_NAMESPACE, e.g. nsadmin getKvList -s <namespace>',
};
const TOPIC_VIEW = ROUTE_VIEW(
  '/topics/{topic}',
  'GET_ROUTEINFO_BY_TOPIC, e.g. nsadmin topicRoute -t <topic>',
);
const ROUTE_PATH_VIEW = ROUTE_VIEW(
  '/topics/{topic}/route',
  'GET_ROUTEINFO_BY_TOPIC, e.g. nsadmin topicRoute -t <topic>',
);

/** The protected data view a path names; null for health, metrics, the console and unknown paths. */
export function viewAccessOf(path: string): ViewAccess | null {
  const exact = EXACT_VIEWS.get(path);
  if (exact !== undefined) return exact;
  if (KV_PATH.test(path)) return KV_NAMESPACE_VIEW;
  if (ROUTE_PATH.test(path)) return ROUTE_PATH_VIEW;
  if (TOPIC_PATH.test(path)) return TOPIC_VIEW;
  return null;
}
