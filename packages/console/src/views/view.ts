/** What every page of the console is: rendered into `root`, returning its clean-up (stops polls). */
export interface RouteParams {
  /** Path segments after the page name, decoded (`#/topic/My%20Topic` → ['My Topic']). */
  readonly args: readonly string[];
  readonly query: URLSearchParams;
}

export type View = (root: HTMLElement, params: RouteParams) => () => void;
