// Prints the plain closing line CI reads ("N passed, N failed, N skipped") after jest's own
// summary. A suite that fails to run at all (compile error, crash in beforeAll) counts as a failure.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`tests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = SummaryReporter;
