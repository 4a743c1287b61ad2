//go:build race

package ui_test

// raceSlowdown scales time bounds: the race detector slows rendering
// several times over.
const raceSlowdown = 8
