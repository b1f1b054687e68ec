//go:build !unix

package inputfile

const openNonblock = 0
