// @ns/protocol public API: every export is listed by name.
export {};
