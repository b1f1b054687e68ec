package predict

// NextFixForTest exposes nextFix to the external tests' oracle.
var NextFixForTest = nextFix
