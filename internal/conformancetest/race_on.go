//go:build race

package conformancetest

// raceEnabled: the race detector slows every goroutine several times, so
// fewer runs go at once and a case's timeout is not spent waiting for a
// CPU.
const raceEnabled = true
