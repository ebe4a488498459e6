/**
 * Ends the jest output with one plain line, `jest: N passed, N failed, N skipped`, that any
 * CI log reader understands (jest's own summary says "N passed, N total").
 */
class PlainSummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`,
    );
  }
}

module.exports = PlainSummaryReporter;
