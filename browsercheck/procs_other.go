//go:build !linux

package browsercheck

import "os/exec"

// killLeftovers is a no-op outside Linux: chromedp kills the browser
// process, and its children follow it.
func killLeftovers(dir string, killed map[int]string) error { return nil }

// reapOrphans is a no-op outside Linux.
func reapOrphans(tree map[int]string, except int) {}

// processesUsing is not implemented outside Linux.
func processesUsing(dir string) []int { return nil }

func chromeTree(dir string) map[int]string { return nil }

func killTree(tree map[int]string) error { return nil }

// ownProcessGroup leaves the browser's command as chromedp makes it
// outside Linux.
func ownProcessGroup(cmd *exec.Cmd) {}
