package workflows

// Changes to the interpreter that alter the order of commands in a history
// must be guarded with workflow.GetVersion, so that enrollments already in
// flight replay the path they took. Name each change here, with the date and
// what it changed, and keep the replay tests in testdata/ green.
//
// No guarded changes yet: the histories in testdata/ were recorded with the
// first interpreter.
