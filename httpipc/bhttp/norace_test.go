//go:build !race

package bhttp

const raceEnabled = false
