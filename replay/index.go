package replay

import (
	"hash/maphash"
	"sync/atomic"
	"unsafe"
)

// The replay index is laid out for a large cassette served at random: a
// lookup touches a few cache lines, and the garbage collector has few
// pointers to follow. Match keys are encoded (appendKey) into byte arenas
// and found through an open-addressing table of their 64-bit hashes, the
// whole encoding compared on a hit (keys of one hash are probed on);
// queues, variants and interactions live in dense slices that refer to each
// other by number; equal response header values of every interaction
// share one slice (respSet). New's build-time maps are dropped once it
// returns.

// appendKey appends an injective encoding of k to b: each string field
// preceded by its length (uvarint), then the booleans in one byte.
func appendKey(b []byte, k *key) []byte {
	for _, s := range [...]string{k.method, k.scheme, k.host, k.path, k.query, k.origin, k.acrm, k.acrh} {
		n := uint(len(s))
		for n >= 0x80 {
			b = append(b, byte(n)|0x80)
			n >>= 7
		}
		b = append(b, byte(n))
		b = append(b, s...)
	}
	var f byte
	for bit, set := range [...]bool{k.hasQuery, k.hasOrigin, k.hasACRM, k.cred} {
		if set {
			f |= 1 << bit
		}
	}
	return append(b, f)
}

// decodeKey decodes appendKey's encoding e; the key's strings share e's
// memory, which must never be written again. It runs for every
// interaction a miss examines, so it is unrolled.
func decodeKey(e []byte) key {
	var k key
	i := 0
	k.method, i = decodeField(e, i)
	k.scheme, i = decodeField(e, i)
	k.host, i = decodeField(e, i)
	k.path, i = decodeField(e, i)
	k.query, i = decodeField(e, i)
	k.origin, i = decodeField(e, i)
	k.acrm, i = decodeField(e, i)
	k.acrh, i = decodeField(e, i)
	f := e[i]
	k.hasQuery, k.hasOrigin, k.hasACRM, k.cred = f&1 != 0, f&2 != 0, f&4 != 0, f&8 != 0
	return k
}

// decodeField decodes the string field of e at i and returns it and the
// position of the next field.
func decodeField(e []byte, i int) (string, int) {
	if n := int(e[i]); n < 0x80 {
		return bytesString(e[i+1 : i+1+n]), i + 1 + n
	}
	return decodeLongField(e, i)
}

// decodeLongField is decodeField for a field of 128 bytes or more.
func decodeLongField(e []byte, i int) (string, int) {
	n, shift := 0, uint(0)
	for ; e[i]&0x80 != 0; i++ {
		n |= int(e[i]&0x7f) << shift
		shift += 7
	}
	n |= int(e[i]) << shift
	i++
	return bytesString(e[i : i+n]), i + n
}

// bytesString returns b as a string sharing its memory: b must never be
// written again.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// index finds the recorded answers of a match key: full keys (Replayer.full)
// or hostless ones (Replayer.path).
type index struct {
	// slots is an open-addressing hash table of the queues (linear
	// probing, at most half full): a lookup usually reads one slot, and
	// the key it compares.
	slots []slot
	// mask is and-ed to every hash: all ones, but in tests that make keys
	// collide.
	mask   uint64
	queues []queue
	vars   []variant
	// varInts lists the interactions of the variants answering more than
	// one, each variant's together (variant.off).
	varInts []int32
	// keys holds the queues' key encodings: for the full index, the
	// Replayer's keys (a queue's is its first interaction's).
	keys []byte
	// scripts holds the variants' script parts, shared by the full and
	// hostless indexes; the first is the empty one, most requests'.
	scripts []script
}

// slot is an entry of index.slots: a queue, with what a lookup of its key
// needs, so that the common lookup (a key with one variant) reads the slot
// and the key, not the queue.
type slot struct {
	hash           uint64 // the key's
	keyOff, keyLen uint32 // the key, as queue.keyOff and keyLen
	q1             int32  // the queue + 1; 0: an empty slot
	v              int32  // the queue's variant when it has one only, else -1
}

// newIndex returns an index for at most n keys (its table stays at most
// half full, so a probe always ends); mask is index.mask.
func newIndex(n int, mask uint64) index {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return index{slots: make([]slot, size), mask: mask}
}

// queue holds the interactions answering one key, in recorded order,
// grouped into variants by their script part (script-set headers and body).
type queue struct {
	keyOff, keyLen uint32 // the key's encoding, in index.keys
	v              int32  // the first variant, in index.vars
	m              *multi // set when the queue has more than one variant
}

// multi indexes the variants of a queue that has several.
type multi struct {
	vars []int32 // the distinct script parts (in index.vars), in order of first appearance
	// byHash indexes the variants without redaction placeholders by script
	// hash: their position in vars, the first one for a hash.
	byHash map[uint64]int
	wild   []int // the positions in vars of variants with placeholders
}

// variant is the recorded interactions of one key that share a script
// part, in recorded order, and how many requests matching it were
// answered.
type variant struct {
	used   atomic.Int64 // ServeHTTP's uses; a Session counts its own
	first  int32        // the first interaction
	n      int32        // the number of interactions
	off    int32        // with n > 1: where they are in index.varInts
	script int32        // its script part, in index.scripts
}

// scr returns v's script part.
func (ix *index) scr(v *variant) *script { return &ix.scripts[v.script] }

// isEmpty reports whether s is the script part of a request with no
// script-set header and no body.
func (s *script) isEmpty() bool {
	return len(s.headers) == 0 && len(s.body) == 0 && !s.over && !s.wild
}

// at returns the index of v's j-th interaction.
func (ix *index) at(v *variant, j int) int {
	if v.n == 1 {
		return int(v.first)
	}
	return int(ix.varInts[int(v.off)+j])
}

// nvars returns the number of variants of q.
func nvars(q *queue) int {
	if q.m == nil {
		return 1
	}
	return len(q.m.vars)
}

// qvar returns q's j-th variant.
func (ix *index) qvar(q *queue, j int) *variant {
	if q.m == nil {
		return &ix.vars[q.v]
	}
	return &ix.vars[q.m.vars[j]]
}

// keyOf returns the key encoding of q.
func (ix *index) keyOf(q *queue) []byte {
	return ix.keys[q.keyOff : q.keyOff+q.keyLen]
}

// hash returns the hash of a key encoding.
func (ix *index) hash(e []byte) uint64 { return maphash.Bytes(hashSeed, e) & ix.mask }

// slotOf returns the slot of the key encoded as e, whose hash is h, or the
// empty slot where it would go; found reports which.
func (ix *index) slotOf(e []byte, h uint64) (i int, found bool) {
	m := uint64(len(ix.slots) - 1)
	for j := h & m; ; j = (j + 1) & m {
		s := &ix.slots[j]
		if s.q1 == 0 {
			return int(j), false
		}
		if s.hash == h && string(ix.keys[s.keyOff:s.keyOff+s.keyLen]) == string(e) {
			return int(j), true
		}
	}
}

// lookup returns the number of the queue whose key is encoded as e, -1
// when there is none, and the queue's variant when the queue has one
// only, else -1.
func (ix *index) lookup(e []byte) (qi, v int32) {
	if len(ix.slots) == 0 {
		return -1, -1
	}
	i, found := ix.slotOf(e, ix.hash(e))
	if !found {
		return -1, -1
	}
	return ix.slots[i].q1 - 1, ix.slots[i].v
}

// indexBuilder adds interactions to an index; what it holds besides is
// dropped when the index is done.
type indexBuilder struct {
	ix    *index
	owned bool      // the index's keys are its own: add appends the encodings
	vints [][]int32 // per variant, its interactions
	vhash []uint64  // per variant, its script hash
}

// add adds interaction i, whose key is encoded as e (in ix.keys at off when
// the keys are not owned) and whose script part is s (hash h), to the
// queue of its key: to the variant with its script part, or to a new one,
// whose script part is sid in ix.scripts (-1: s, added). It returns the
// variant.
func (b *indexBuilder) add(e []byte, off uint32, i int, s *script, h uint64, sid int32) int32 {
	ix := b.ix
	kh := ix.hash(e)
	si, found := ix.slotOf(e, kh)
	if !found {
		if b.owned {
			off = uint32(len(ix.keys))
			ix.keys = append(ix.keys, e...)
		}
		qi := int32(len(ix.queues))
		vi := b.newVariant(s, h, sid)
		ix.slots[si] = slot{hash: kh, keyOff: off, keyLen: uint32(len(e)), q1: qi + 1, v: vi}
		ix.queues = append(ix.queues, queue{keyOff: off, keyLen: uint32(len(e)), v: vi})
		b.vints[vi] = append(b.vints[vi], int32(i))
		return vi
	}
	q := &ix.queues[ix.slots[si].q1-1]
	if vi := b.variantOf(q, s, h); vi >= 0 {
		b.vints[vi] = append(b.vints[vi], int32(i))
		return vi
	}
	if q.m == nil {
		ix.slots[si].v = -1 // the slot no longer tells it all
		q.m = &multi{vars: []int32{q.v}, byHash: map[uint64]int{}}
		if ix.scr(&ix.vars[q.v]).wild {
			q.m.wild = append(q.m.wild, 0)
		} else {
			q.m.byHash[b.vhash[q.v]] = 0
		}
	}
	vi := b.newVariant(s, h, sid)
	b.vints[vi] = append(b.vints[vi], int32(i))
	pos := len(q.m.vars)
	q.m.vars = append(q.m.vars, vi)
	switch {
	case s.wild:
		q.m.wild = append(q.m.wild, pos)
	default:
		if _, ok := q.m.byHash[h]; !ok {
			q.m.byHash[h] = pos
		}
	}
	return vi
}

func (b *indexBuilder) newVariant(s *script, h uint64, sid int32) int32 {
	ix := b.ix
	switch {
	case sid < 0 && !s.isEmpty():
		sid = int32(len(ix.scripts))
		ix.scripts = append(ix.scripts, *s)
	case sid < 0:
		sid = 0
	}
	vi := int32(len(ix.vars))
	ix.vars = append(ix.vars, variant{script: sid})
	b.vints = append(b.vints, nil)
	b.vhash = append(b.vhash, h)
	return vi
}

// variantOf returns the variant of q whose recorded script part is s byte
// for byte (h is s.hash()), -1 when there is none.
func (b *indexBuilder) variantOf(q *queue, s *script, h uint64) int32 {
	ix := b.ix
	if q.m == nil {
		if vs := ix.scr(&ix.vars[q.v]); vs.wild == s.wild && sameScript(vs, s) {
			return q.v
		}
		return -1
	}
	if !s.wild {
		pos, ok := q.m.byHash[h]
		if !ok {
			return -1 // equal scripts have equal hashes
		}
		if vi := q.m.vars[pos]; sameScript(ix.scr(&ix.vars[vi]), s) {
			return vi
		}
	}
	for _, vi := range q.m.vars { // wild, or a hash collision
		if vs := ix.scr(&ix.vars[vi]); vs.wild == s.wild && sameScript(vs, s) {
			return vi
		}
	}
	return -1
}

// done lays the variants' interactions out densely.
func (b *indexBuilder) done() {
	ix := b.ix
	n := 0
	for _, is := range b.vints {
		if len(is) > 1 {
			n += len(is)
		}
	}
	ix.varInts = make([]int32, 0, n)
	for vi, is := range b.vints {
		v := &ix.vars[vi]
		v.first, v.n = is[0], int32(len(is))
		if len(is) > 1 {
			v.off = int32(len(ix.varInts))
			ix.varInts = append(ix.varInts, is...)
		}
	}
	ix.queues = clip(ix.queues)
	ix.keys = clip(ix.keys)
}

// clip returns s in an array of its length, dropping the spare capacity
// appends left.
func clip[T any](s []T) []T {
	if cap(s) == len(s) {
		return s
	}
	return append(make([]T, 0, len(s)), s...)
}

// pathIndex lists the interactions by escaped path, in recorded order,
// for the closest-interaction search.
type pathIndex struct {
	first  map[uint64]int32 // path hash → its first group
	mask   uint64           // as index.mask
	groups []pathGroup
	ints   []int32 // the interactions, each group's together
}

type pathGroup struct {
	off, n uint32 // in pathIndex.ints
	next   int32  // the next group whose path has the same hash; -1: none
}

// find returns the interactions recorded for path, in recorded order;
// pathOf returns the path of an interaction.
func (p *pathIndex) find(path string, pathOf func(i int) string) []int32 {
	gi, ok := p.first[maphash.String(hashSeed, path)&p.mask]
	if !ok {
		return nil
	}
	for ; gi >= 0; gi = p.groups[gi].next {
		g := p.groups[gi]
		if is := p.ints[g.off : g.off+g.n]; pathOf(int(is[0])) == path {
			return is
		}
	}
	return nil
}

// buildPathIndex indexes paths, the path of each interaction in order;
// mask is pathIndex.mask.
func buildPathIndex(paths []string, mask uint64) pathIndex {
	byPath := make(map[string][]int32)
	var order []string
	for i, path := range paths {
		if _, ok := byPath[path]; !ok {
			order = append(order, path)
		}
		byPath[path] = append(byPath[path], int32(i))
	}
	p := pathIndex{mask: mask, first: make(map[uint64]int32, len(order)), groups: make([]pathGroup, 0, len(order)), ints: make([]int32, 0, len(paths))}
	for _, path := range order {
		h := maphash.String(hashSeed, path) & mask
		next := int32(-1)
		if prev, ok := p.first[h]; ok {
			next = prev
		}
		p.first[h] = int32(len(p.groups))
		p.groups = append(p.groups, pathGroup{off: uint32(len(p.ints)), n: uint32(len(byPath[path])), next: next})
		p.ints = append(p.ints, byPath[path]...)
	}
	return p
}
