package cassettes_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/cassettes/cassettestest"
)

// Cassette load and save speed and memory (issue 11): go test -run '^$'
// -bench . -benchmem ./cassettes. file-MB is the size of the cassette,
// alloc-MB/op what one operation allocates. Peak RSS is measured in a
// child process by cassettes/internal/rssprobe.

func benchmarkLoad(b *testing.B, n int) {
	path := filepath.Join(b.TempDir(), "cassette.yaml")
	if err := cassettes.Save(path, cassettestest.Generate(n)); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		c, err := cassettes.Load(path)
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Interactions) != n {
			b.Fatalf("loaded %d interactions, want %d", len(c.Interactions), n)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MB/op")
}

func BenchmarkLoad10k(b *testing.B)  { benchmarkLoad(b, 10_000) }
func BenchmarkLoad100k(b *testing.B) { benchmarkLoad(b, 100_000) }

func benchmarkSave(b *testing.B, n int) {
	c := cassettestest.Generate(n)
	path := filepath.Join(b.TempDir(), "cassette.yaml")
	if err := cassettes.Save(path, c); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		if err := cassettes.Save(path, c); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MB/op")
}

func BenchmarkSave10k(b *testing.B) { benchmarkSave(b, 10_000) }
func BenchmarkSave50k(b *testing.B) { benchmarkSave(b, 50_000) }
