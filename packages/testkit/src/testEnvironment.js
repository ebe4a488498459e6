// @ts-check
/**
 * Jest's node environment, loaded once per worker process (outside the tests' sandboxes).
 *
 * It adds one thing: a worker whose event loop has drained exits through process.exit. Left to
 * end on its own, Node disposes of the V8 heap first (hundreds of MB of munmap/mprotect, seen in
 * /proc/<pid>/task/<tid>/stack); on a loaded CI machine that outlasts the 500 ms jest-worker waits
 * before it kills the worker and warns "A worker process has failed to exit gracefully", though
 * nothing was left open. 'beforeExit' is only emitted once nothing is left open, so a worker that
 * does leak a socket or timer still never reaches it, and jest still names it: this removes the
 * false alarm, not the real one.
 */
const { TestEnvironment } = require('jest-environment-node');

// Workers are forked with an IPC channel; an in-band run (jest's own process) ends as it likes.
if (typeof process.send === 'function') {
  process.once('beforeExit', (code) => process.exit(code));
}

module.exports = TestEnvironment;
