//go:build !linux

package main

// becomeSubreaper is Linux only.
func becomeSubreaper() {}
