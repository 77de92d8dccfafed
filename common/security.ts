/**
 * Content-Security-Policy of every page, served by serve mode as a header and set by the desktop
 * window on its responses; renderer/index.html carries the same policy as a meta tag.
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
