package xdsproof

import (
	"fmt"
	"os"
	"sync"
)

// run stands in for *testing.T: Istio's fake discovery server reports through test.Failer and
// stops its goroutines through Cleanup, so a command can host it once per scenario.
type run struct {
	name     string
	mu       sync.Mutex
	cleanups []func()
	verbose  bool
}

// fatal is what Fatal panics with; generate recovers it and returns it as an error.
type fatal struct{ msg string }

func (r *run) Fail()         { r.FailNow() }
func (r *run) FailNow()      { panic(fatal{r.name + ": failed"}) }
func (r *run) Helper()       {}
func (r *run) Skip(a ...any) { panic(fatal{r.name + ": skipped: " + fmt.Sprint(a...)}) }
func (r *run) Fatal(a ...any) {
	panic(fatal{r.name + ": " + fmt.Sprint(a...)})
}
func (r *run) Fatalf(format string, a ...any) {
	panic(fatal{r.name + ": " + fmt.Sprintf(format, a...)})
}
func (r *run) Log(a ...any) {
	if r.verbose {
		fmt.Fprintln(os.Stderr, append([]any{r.name + ":"}, a...)...)
	}
}
func (r *run) Logf(format string, a ...any) {
	if r.verbose {
		fmt.Fprintf(os.Stderr, r.name+": "+format+"\n", a...)
	}
}
func (r *run) TempDir() string {
	d, err := os.MkdirTemp("", "shopmesh-xds-")
	if err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
func (r *run) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// close runs the cleanups last-registered first, as testing.T does.
func (r *run) close() {
	r.mu.Lock()
	cs := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}
