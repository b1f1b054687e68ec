package procstest

import (
	"os"
	"slices"
	"strconv"
	"strings"
)

// Descendants returns, sorted, the live (non-zombie) processes whose parent
// chain reaches pid, read from /proc (none where there is no /proc): what a
// test checks is gone after a Close.
func Descendants(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	zombie := map[int]bool{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parens.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		parent[p], _ = strconv.Atoi(f[1])
		zombie[p] = f[0] == "Z"
	}
	var out []int
	for p := range parent {
		if zombie[p] {
			continue
		}
		for q, n := parent[p], 0; q > 1 && n < 64; q, n = parent[q], n+1 {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
