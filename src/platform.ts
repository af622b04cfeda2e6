/**
 * Whether this code runs in Node rather than a page or worker. A page with a `process` polyfill
 * (some bundlers add one) still counts as a browser, hence the `window` check.
 */
export const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
