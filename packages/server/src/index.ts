// @ns/server public API: every export is listed by name.
export {};
