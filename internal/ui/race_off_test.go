//go:build !race

package ui_test

const raceSlowdown = 1
