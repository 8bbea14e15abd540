// @ns/broker-agent public API: every export is listed by name.
export {};
