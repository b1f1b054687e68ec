package recorder

import (
	"bytes"
	"net/http"
	"net/textproto"
)

// This file saves the recorder work on header blocks it has seen before.
// A browser sends the same header fields on one connection again and
// again (only the request line changes), and an origin answers alike
// (Date changes once a second): a block whose fields are byte for byte
// those of the connection's last block is neither parsed nor copied
// again, and what its checks need is worked out once (fieldPlan). Every
// check still runs on every exchange, against what net/http parsed for
// that exchange: the plan only spares looking the same things up again.

// blockMemo remembers the last header block parsed on one connection.
// A block's fields are copied into it only when they encode as the last
// block's did: the first block of a run is parsed as any other, the
// second is parsed and copied, and from the third on the blocks are found
// equal to the copy. A stream where no block repeats costs a comparison
// per block, and no copy. Blocks with more than maxMemo bytes of fields
// are not remembered, nor are blocks without fields (an interim 100
// Continue) in the way.
type blockMemo struct {
	last   string   // the encoding of the last block's fields
	fields string   // the bytes of the memo's fields, when copied
	blk    rawBlock // their parse, without the start line
}

// maxMemo bounds the fields a blockMemo keeps (twice: their bytes and
// their encoding), per connection.
const maxMemo = 16 << 10

// requestSkip are the names the check of a request block skips: for an
// absolute-form request net/http sets req.Host from the URL and drops the
// Host line.
var requestSkip = []string{"Host"}

// parse is parseBlock for a block read on the memo's connection, whose
// checks skip the names in skip: when the block's fields are byte for
// byte the memo's, it returns the memo's encoding (shared, never
// modified) with a plan for its checks, and copies only the start line.
func (m *blockMemo) parse(b []byte, skip []string) (rawBlock, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 || i == len(b)-1 {
		return parseBlock(b) // no fields
	}
	fields := b[i+1:]
	if m.fields != "" && string(fields) == m.fields {
		start := bytes.TrimSuffix(b[:i], []byte("\r"))
		if len(start) == 0 {
			return rawBlock{}, errBadBlock
		}
		if m.blk.plan == nil {
			m.blk.plan = newFieldPlan(m.blk.enc, m.blk.may, skip)
		}
		blk := m.blk
		blk.start = string(start)
		return blk, nil
	}
	blk, err := parseBlock(b)
	switch {
	case err != nil || len(fields) > maxMemo:
		*m = blockMemo{}
	case blk.enc != "" && blk.enc == m.last && m.fields == "":
		// Fields alike (encoded alike, as the bytes mostly are): worth
		// a copy, which the next block's bytes are compared with.
		m.fields = string(fields)
		m.blk = rawBlock{enc: blk.enc, may: blk.may}
		m.last = blk.enc
	default:
		m.fields, m.blk, m.last = "", rawBlock{}, blk.enc
	}
	return blk, err
}

// complete is completeBlock for a block whose fields are the memo's, at
// the start of p, with nothing of it read before (s is empty): it finds
// where the block ends without looking for the end of each line.
func (m *blockMemo) complete(p []byte, s *blockScanner) (block, rest []byte, ok bool) {
	// The memo's fields end in a newline when a scanner cut their block
	// (not always when parse was given a block whole, as in tests).
	if m.fields == "" || m.fields[len(m.fields)-1] != '\n' || len(s.buf) > 0 || len(p) == 0 || p[0] == '\n' || p[0] == '\r' {
		return nil, nil, false
	}
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return nil, nil, false
	}
	// The memo's fields are lines that are not empty, each ending in
	// '\n': the empty line that ends the block must come right after.
	end := i + 1 + len(m.fields)
	if end >= len(p) || string(p[i+1:end]) != m.fields {
		return nil, nil, false
	}
	switch {
	case p[end] == '\n':
		return p[:end], p[end+1:], true
	case p[end] == '\r' && end+1 < len(p) && p[end+1] == '\n':
		return p[:end], p[end+2:], true
	}
	return nil, nil, false
}

// fieldPlan is what the checks of a block's fields need, worked out once
// for a block seen again (blockMemo). Only encID changes once it is made.
type fieldPlan struct {
	// drop: the canonical keys dropWireHopByHop deletes for the block.
	drop []string
	// For matchPlan, when check is set: the fields keptFields keeps,
	// less those skipped, as matchFast reads them.
	check           bool
	kept            []planField
	skip            []string
	names           int  // distinct names among kept
	hasCacheControl bool // kept has a Cache-Control field

	// encID - 1 is the index of the block's fields in the encs of the
	// recordStore that stores them, shared by the recordings of the
	// blocks the plan is of; 0 until stored. Guarded by the store's lock.
	encID int32
}

// planField is one field as matchFast reads it: the key net/http files
// its name under (parsedValues), its value, how many fields of its name
// come before it (occ), and, for the first, how many there are (n).
type planField struct {
	key, value string
	occ, n     int
	cl         bool // a Content-Length field
}

// newFieldPlan works out the plan of the fields enc encodes (a rawBlock's,
// with its may bits), for checks that skip the names in skip.
func newFieldPlan(enc string, may uint8, skip []string) *fieldPlan {
	p := &fieldPlan{skip: skip, drop: appendWireDrop(nil, enc, may)}
	kept := keptFields(nil, enc, may)
	if len(kept) > maxFastLines {
		return p // matchParsed's one pass would not run either
	}
	p.check = true
	for i, f := range kept {
		if containsName(skip, f.Name) {
			continue
		}
		pf := planField{key: parsedKey(f.Name), value: f.Value}
		pf.cl = len(f.Name) == len("Content-Length") && sameName(f.Name, "Content-Length")
		for _, g := range kept[:i] {
			if sameName(g.Name, f.Name) {
				pf.occ++
			}
		}
		if pf.occ == 0 {
			p.names++
			p.hasCacheControl = p.hasCacheControl || sameName(f.Name, "Cache-Control")
			pf.n = 1
			for _, g := range kept[i+1:] {
				if sameName(g.Name, f.Name) {
					pf.n++
				}
			}
		}
		p.kept = append(p.kept, pf)
	}
	return p
}

// parsedKey is the key net/http files a field name under: its canonical
// form when it is a token, itself otherwise (parsedValues).
func parsedKey(name string) string {
	if !validName(name) {
		return name
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// matchPlan is matchFast on a plan: true means the planned fields are
// shown to say what net/http parsed into parsed (hop-by-hop fields already
// dropped); false means "not shown", and the caller runs matchParsed.
func matchPlan(p *fieldPlan, parsed http.Header) bool {
	for i := range p.kept {
		f := &p.kept[i]
		vs := parsed[f.key]
		if len(vs) == 0 {
			return false
		}
		if f.occ == 0 && (f.cl && vs[0] != f.value || !f.cl && f.n != len(vs)) {
			return false
		}
		if !f.cl && (f.occ >= len(vs) || vs[f.occ] != f.value) {
			return false
		}
	}
	extra := len(parsed) - p.names
	for _, k := range p.skip {
		if _, ok := parsed[k]; ok {
			extra--
		}
	}
	if extra == 1 && !p.hasCacheControl {
		if cc := parsed["Cache-Control"]; len(cc) == 1 && cc[0] == "no-cache" {
			extra = 0 // net/http adds it to a request with "Pragma: no-cache"
		}
	}
	return extra == 0
}
