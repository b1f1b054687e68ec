package vcr

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corsvcr/corsvcr/browsercheck"
	"github.com/corsvcr/corsvcr/cassettes"
	"github.com/corsvcr/corsvcr/checks"
	"github.com/corsvcr/corsvcr/internal/fetch"
	"github.com/corsvcr/corsvcr/replay"
)

// DefaultParallel returns the number of checks a replay runs at once when
// Config.Parallel is 0: twice the number of CPUs, at least 2 and at most 8
// (a check mostly waits for Chrome, so two per CPU keep them busy).
func DefaultParallel() int { return min(max(2*runtime.NumCPU(), 2), 8) }

// parallelism returns how many checks run at once in a run with src:
// Config.Parallel (0: DefaultParallel) for a replay; 1 when anything is
// recorded, since the recorder's cassette keeps exchanges in the order
// they arrive (concurrent checks would interleave them, and a redirect to
// a host unknown in advance could not be attributed to its check): such a
// run uses runChecks, one check after another, every cache cleared before
// each.
func (r *Runner) parallelism(src sources) int {
	if src.rec != nil || src.rp == nil {
		return 1
	}
	if r.cfg.Parallel > 0 {
		return r.cfg.Parallel
	}
	return DefaultParallel()
}

// logThroughput logs, at level Info (corsvcr -v), how many checks ran in
// how long, Chrome's start excluded: the line `make bench` reads, e.g.
// "checks ran checks=300 parallel=4 elapsed=1.2s checks_per_s=250.0".
func logThroughput(log *slog.Logger, checks, parallel int, elapsed time.Duration) {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(checks) / elapsed.Seconds()
	}
	log.Info("checks ran", "checks", checks, "parallel", parallel, "elapsed", elapsed.Round(time.Millisecond),
		"checks_per_s", strconv.FormatFloat(rate, 'f', 1, 64))
}

// urlKey is the part of a request URL that decides which checks may touch
// the same replay answers: scheme, host and port (written out) and the path,
// unescaped, with dot segments resolved and lower-cased. It is coarser than
// the replay's match key on purpose: two URLs the replay could confuse must
// share a lane, two that merely look alike may. A URL that does not parse
// keeps its text.
func urlKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "?" + raw
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = fetch.DefaultPort(scheme)
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	p = strings.ToLower(path.Clean(p))
	return scheme + "://" + host + ":" + port + p
}

// lanes partitions the checks cs so that two checks whose requests may
// reach a common replay answer (the same urlKey, directly or through the
// redirects that cas records) are in the same lane. It returns the lanes,
// each the indices of its checks in file order, ordered by their first
// check, and the lane of each urlKey it knows.
func lanes(cs []checks.Check, cas *cassettes.Cassette) ([][]int, map[string]int) {
	ls, keyLane, _ := lanesAlone(cs, cas)
	return ls, keyLane
}

// lanesAlone is lanes, and also says which checks must run alone: those
// whose misses the replay may journal under no URL of their lane, so that
// they could not be attributed with certainty while other checks run. That
// is a request URL with no host, an https URL whose host the cassette does
// not hold (the replay refuses its CONNECT, journaled as "host:port"), and a
// page visit (its page requests URLs no check names).
func lanesAlone(cs []checks.Check, cas *cassettes.Cassette) ([][]int, map[string]int, []bool) {
	uf := unionFind{}
	if cas != nil {
		// A recorded redirect joins its request's URL to its target's.
		for _, in := range cas.Interactions {
			if in.Response.Status < 300 || in.Response.Status > 399 {
				continue
			}
			loc, ok := in.Response.Headers.Get("Location")
			if !ok {
				continue
			}
			base, err := url.Parse(in.Request.URL)
			if err != nil {
				continue
			}
			target, err := base.Parse(loc)
			if err != nil {
				continue
			}
			uf.union(urlKey(in.Request.URL), urlKey(target.String()))
		}
	}
	tlsHosts := map[string]bool{}
	if cas != nil {
		for _, in := range cas.Interactions {
			if u, err := url.Parse(in.Request.URL); err == nil && strings.EqualFold(u.Scheme, "https") {
				tlsHosts[hostPort(u)] = true
			}
		}
	}
	alone := make([]bool, len(cs))
	first := make([]string, len(cs))
	for i, c := range cs {
		if c.Visit != nil {
			// A page requests what its scripts like, under URLs no lane
			// knows (the APIs of other checks included): beside other
			// checks it would take their answers out of turn, and its
			// misses would go to them.
			alone[i] = true
		}
		for _, st := range c.Steps {
			u, err := url.Parse(st.Request.URL)
			switch {
			case err != nil || u.Host == "":
				alone[i] = true
			case strings.EqualFold(u.Scheme, "https") && !tlsHosts[hostPort(u)]:
				alone[i] = true
			}
		}
		first[i] = "#" + strconv.Itoa(i) // a check without steps: a lane of its own
		for j, st := range c.Steps {
			k := urlKey(st.Request.URL)
			if j == 0 {
				first[i] = k
			} else {
				uf.union(first[i], k)
			}
		}
		uf.find(first[i])
	}
	laneOfRoot := map[string]int{}
	var out [][]int
	for i := range cs {
		root := uf.find(first[i])
		l, ok := laneOfRoot[root]
		if !ok {
			l = len(out)
			laneOfRoot[root] = l
			out = append(out, nil)
		}
		out[l] = append(out[l], i)
	}
	keyLane := map[string]int{}
	for k := range uf.parent {
		if l, ok := laneOfRoot[uf.find(k)]; ok {
			keyLane[k] = l
		}
	}
	return out, keyLane, alone
}

// hostPort returns u's lower-case host and port, the port written out.
func hostPort(u *url.URL) string {
	k := urlKey(u.Scheme + "://" + u.Host + "/")
	_, hp, _ := strings.Cut(k, "://")
	return strings.TrimSuffix(hp, "/")
}

// unionFind is a disjoint-set forest of strings.
type unionFind struct{ parent map[string]string }

func (u *unionFind) find(k string) string {
	if u.parent == nil {
		u.parent = map[string]string{}
	}
	p, ok := u.parent[k]
	if !ok {
		u.parent[k] = k
		return k
	}
	if p == k {
		return k
	}
	r := u.find(p)
	u.parent[k] = r
	return r
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(a), u.find(b)
	if ra != rb {
		u.parent[rb] = ra
	}
}

// attributor gives each replay miss to the check that caused it while
// checks of several lanes run at once: a miss goes to the running check of
// the lane its URL belongs to (one check per lane runs at a time). A miss
// whose URL belongs to no lane with a running check cannot be attributed
// with certainty: every check running when it is read gets it, saying so.
type attributor struct {
	rp      *replay.Replayer
	keyLane map[string]int

	mu      sync.Mutex
	mark    replay.JournalMark
	prev    map[*replay.MissError]bool // the misses the last drain read
	running map[int]int                // lane → its running check
	misses  map[int][]string
}

func newAttributor(rp *replay.Replayer, keyLane map[string]int) *attributor {
	return &attributor{rp: rp, keyLane: keyLane, mark: rp.Mark(), running: map[int]int{}, misses: map[int][]string{}}
}

// unattributed prefixes a miss that may belong to another check.
const unattributed = "(not attributable with certainty to one of the checks running at once; --parallel 1 attributes it exactly) "

// drain reads the misses journaled since the last call. a.mu is held.
func (a *attributor) drain() {
	// The mark is taken before reading: a miss journaled in between is
	// read now and again next time, and skipped then (prev).
	next := a.rp.Mark()
	es, dropped := a.rp.Since(a.mark)
	a.mark = next
	read := map[*replay.MissError]bool{}
	for _, e := range es {
		if e.Miss == nil || a.prev[e.Miss] {
			continue
		}
		read[e.Miss] = true
		a.give(e.URL, e.Miss.Error())
	}
	a.prev = read
	if dropped > 0 {
		a.give("", droppedMisses(dropped))
	}
}

// give gives the miss text of a request for rawURL to the running check of
// its lane, else to every running check (marked unless only one runs).
// a.mu is held.
func (a *attributor) give(rawURL, text string) {
	if l, ok := a.keyLane[urlKey(rawURL)]; ok && rawURL != "" {
		if i, ok := a.running[l]; ok {
			a.misses[i] = append(a.misses[i], text)
			return
		}
	}
	if len(a.running) > 1 {
		text = unattributed + text
	}
	for _, i := range a.running {
		a.misses[i] = append(a.misses[i], text)
	}
}

// start marks check i of lane l as running and returns the replay as its
// requests will find it.
func (a *attributor) start(i, l int) *replay.Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drain()
	a.running[l] = i
	return a.rp.Session()
}

// end marks check i of lane l as finished and returns its misses.
func (a *attributor) end(i, l int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.drain()
	delete(a.running, l)
	ms := a.misses[i]
	delete(a.misses, i)
	return ms
}

// runParallel runs the checks of cs, a replay's, in b with n at a time, in
// file order except that a check waits while an earlier check of its lane
// (see lanes) runs: the checks that may reach the same recorded answers run
// one after another in file order, as in a serial run, so the replay gives
// each the answers it would give serially. The results are in file order;
// a check that ctx interrupted, and every check after it in the file, have
// none, as in a serial run.
func runParallel(ctx context.Context, b *browsercheck.Browser, cs []checks.Check, rp *replay.Replayer, n int) []Result {
	ls, keyLane, alone := lanesAlone(cs, rp.Cassette())
	att := newAttributor(rp, keyLane)
	sch := newScheduler(ctx, ls, alone)
	defer sch.stop()
	results := make([]Result, len(cs))
	ran := make([]bool, len(cs))
	var wg sync.WaitGroup
	for range min(n, len(cs)) {
		wg.Go(func() {
			for {
				i, l := sch.take()
				if i < 0 {
					return
				}
				sess := att.start(i, l)
				start := time.Now()
				vs, err := b.CheckLane(ctx, cs[i], strconv.Itoa(l))
				took := time.Since(start)
				misses := att.end(i, l)
				sch.done(l)
				if err != nil && ctx.Err() != nil {
					continue // interrupted: not a harness failure, and not a result
				}
				results[i] = result(cs[i], vs, err, sess, misses)
				results[i].Duration = took
				ran[i] = true
			}
		})
	}
	wg.Wait()
	done := 0
	for done < len(cs) && ran[done] {
		done++
	}
	return results[:done]
}

// scheduler hands out checks in file order, each once its lane is idle and
// the checks before it in its lane have run; a check that must run alone
// waits until no check runs, and none starts while it runs.
type scheduler struct {
	ctx     context.Context
	stop    func() bool
	ls      [][]int
	lane    []int  // of each check
	alone   []bool // of each check
	mu      sync.Mutex
	cond    *sync.Cond
	next    []int  // per lane: the position in ls[l] of its next check
	busy    []bool // per lane: a check of it runs
	taken   []bool
	first   int  // every check before it is taken
	running int  // checks running
	barrier bool // a check that must run alone runs
}

func newScheduler(ctx context.Context, ls [][]int, alone []bool) *scheduler {
	n := len(alone)
	s := &scheduler{ctx: ctx, ls: ls, lane: make([]int, n), alone: alone, next: make([]int, len(ls)), busy: make([]bool, len(ls)), taken: make([]bool, n)}
	s.cond = sync.NewCond(&s.mu)
	for l, is := range ls {
		for _, i := range is {
			s.lane[i] = l
		}
	}
	s.stop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	return s
}

// take returns the next check to run and its lane, waiting while every
// check left waits for its lane; -1 when none is left or ctx is done.
func (s *scheduler) take() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.ctx.Err() != nil {
			return -1, -1
		}
		i, l, left := s.pick()
		if i >= 0 || !left {
			return i, l
		}
		s.cond.Wait()
	}
}

// pick returns the next check that may start now and its lane, or -1 and
// whether checks are left to start later. s.mu is held.
func (s *scheduler) pick() (i, l int, left bool) {
	for s.first < len(s.taken) && s.taken[s.first] {
		s.first++
	}
	if s.first == len(s.taken) {
		return -1, -1, false
	}
	for i := s.first; i < len(s.taken) && !s.barrier; i++ {
		l := s.lane[i]
		if s.taken[i] || s.busy[l] || s.ls[l][s.next[l]] != i {
			continue
		}
		if s.alone[i] {
			if s.running > 0 {
				break // it goes next, alone: nothing overtakes it
			}
			s.barrier = true
		}
		s.taken[i], s.busy[l] = true, true
		s.running++
		return i, l, true
	}
	return -1, -1, true
}

// done records that the running check of lane l has ended.
func (s *scheduler) done(l int) {
	s.mu.Lock()
	s.busy[l] = false
	s.next[l]++
	s.running--
	s.barrier = false
	s.cond.Broadcast()
	s.mu.Unlock()
}

// droppedMisses is the miss text that stands for n misses the replay
// journal did not keep.
func droppedMisses(n int) string {
	return fmt.Sprintf("replay: %d more misses, not kept (the replay journal keeps the first %d)", n, replay.DefaultJournalLimit)
}

// result makes the Result of check c from its verdicts or harness error,
// the replay before it ran (nil: not a replay) and its misses.
func result(c checks.Check, vs checks.Verdicts, err error, sess *replay.Session, misses []string) Result {
	res := Result{Name: c.Name}
	if err != nil {
		res.Error = err.Error()
	} else {
		res.Verdicts = vs
		if !networkError(vs) {
			// A network error is no verdict on CORS: the expectations
			// are not evaluated.
			res.Mismatches = c.Mismatches(vs)
			if sess != nil {
				res.Why, res.Disagree = predictionNote(c, vs, sess)
			}
		}
	}
	res.Misses = misses
	if len(res.Misses) > 0 {
		// Chrome saw made-up miss answers: the prediction from the
		// cassette says nothing about them.
		res.Why, res.Disagree = "", ""
	}
	return res
}
