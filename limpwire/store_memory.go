package limpwire

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
)

// MemoryOptions configures NewMemoryStoreWith. The zero value is
// NewMemoryStore's configuration: no bounds.
type MemoryOptions struct {
	// MaxResults caps the documents one Read returns (a smaller $limit
	// still applies); 0 means no cap. Total still counts every match.
	MaxResults int
	// MaxDocs caps the documents of one collection, soft-deleted ones
	// included; Create beyond it fails with ErrStoreFull. 0 means no cap.
	MaxDocs int
}

// ErrStoreFull is returned by Create when a configured bound is reached.
var ErrStoreFull = errors.New("limpwire: store full")

// ErrDuplicateID is returned by Create for an "_id" already stored.
var ErrDuplicateID = errors.New("limpwire: duplicate _id")

// memoryStore is the in-memory Store: one map of documents per collection
// behind one RWMutex. Stored documents hold "_id" as an ObjectID and are
// never handed out: reads return deep copies, writes store copies.
type memoryStore struct {
	opts MemoryOptions
	ids  *idGen

	mu     sync.RWMutex
	closed bool
	cols   map[string]map[ObjectID]Doc
}

// NewMemoryStore returns an empty in-memory Store, safe for concurrent use.
// It implements the whole query language of section 8 with MongoDB's
// semantics, so that it answers as the MongoDB store does.
func NewMemoryStore() Store { return NewMemoryStoreWith(MemoryOptions{}) }

// NewMemoryStoreWith is NewMemoryStore with bounds.
func NewMemoryStoreWith(opts MemoryOptions) Store {
	return &memoryStore{opts: opts, ids: newIDGen(), cols: map[string]map[ObjectID]Doc{}}
}

// idGen makes ObjectIDs as MongoDB drivers do: 4 bytes of Unix seconds, 5
// random bytes fixed per generator, a 3-byte counter from a random start.
// Within one generator they increase (until the counter wraps within one
// second), so the default sort {_id: -1} lists newest first.
type idGen struct {
	mu      sync.Mutex
	random  [5]byte
	counter uint32
	lastSec uint32
}

func newIDGen() *idGen {
	g := &idGen{}
	var b [8]byte
	_, _ = rand.Read(b[:])
	copy(g.random[:], b[:5])
	g.counter = binary.BigEndian.Uint32(b[4:]) & 0xffff // room before wrapping
	return g
}

func (g *idGen) next() ObjectID {
	g.mu.Lock()
	defer g.mu.Unlock()
	sec := uint32(time.Now().Unix())
	if sec < g.lastSec { // the clock went back: keep ids increasing
		sec = g.lastSec
	}
	g.lastSec = sec
	g.counter = (g.counter + 1) & 0xffffff
	var id ObjectID
	binary.BigEndian.PutUint32(id[:4], sec)
	copy(id[4:9], g.random[:])
	id[9], id[10], id[11] = byte(g.counter>>16), byte(g.counter>>8), byte(g.counter)
	return id
}

// NewObjectID returns a fresh ObjectID: 4 bytes of Unix seconds and 8
// random bytes. (A store's own ids also increase within a second.)
func NewObjectID() ObjectID {
	var id ObjectID
	binary.BigEndian.PutUint32(id[:4], uint32(time.Now().Unix()))
	_, _ = rand.Read(id[4:])
	return id
}

func (s *memoryStore) Create(ctx context.Context, collection string, doc Doc) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	stored, id, err := PrepareDoc(doc)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrStoreClosed
	}
	col := s.cols[collection]
	if col == nil {
		col = map[ObjectID]Doc{}
		s.cols[collection] = col
	}
	if id == (ObjectID{}) {
		id = s.ids.next()
		stored["_id"] = id
	}
	if _, dup := col[id]; dup {
		return "", fmt.Errorf("%w: %s", ErrDuplicateID, id.Hex())
	}
	if s.opts.MaxDocs > 0 && len(col) >= s.opts.MaxDocs {
		return "", fmt.Errorf("%w: collection %q holds %d documents", ErrStoreFull, collection, len(col))
	}
	col[id] = stored
	return id.Hex(), nil
}

// PrepareDoc checks and normalises a document for storage (a deep copy):
// values as NormalizeValue, no attribute name starting with "$" or
// containing ".", "_id" absent or 24 hex digits (returned as id; zero when
// absent). Errors match ErrInvalidDoc.
func PrepareDoc(doc Doc) (Doc, ObjectID, error) {
	var id ObjectID
	n, err := NormalizeValue(doc)
	if err != nil {
		return nil, id, fmt.Errorf("%w: %v", ErrInvalidDoc, err)
	}
	out, _ := n.(map[string]any)
	if out == nil {
		out = Doc{}
	}
	if err := checkNames(out, 0); err != nil {
		return nil, id, err
	}
	if raw, ok := out["_id"]; ok {
		switch v := raw.(type) {
		case ObjectID:
			id = v
		case string:
			var ok bool
			if id, ok = ParseObjectID(v); !ok {
				return nil, id, fmt.Errorf("%w: _id %q is not 24 hex digits", ErrInvalidDoc, v)
			}
		default:
			return nil, id, fmt.Errorf("%w: _id must be 24 hex digits, got %s", ErrInvalidDoc, typeName(raw))
		}
		if id == (ObjectID{}) {
			return nil, id, fmt.Errorf("%w: _id must not be all zeros", ErrInvalidDoc)
		}
		out["_id"] = id
	}
	return out, id, nil
}

func checkNames(v any, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasPrefix(k, "$") || strings.Contains(k, ".") {
				return fmt.Errorf("%w: attribute name %q (no leading $, no dots)", ErrInvalidDoc, k)
			}
			if err := checkNames(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNames(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// live reports whether a stored document is not soft-deleted: upstream keeps
// documents whose __deleted is missing or false.
func live(doc Doc) bool {
	v, ok := doc["__deleted"]
	if !ok {
		return true
	}
	return eqMatch([]any{v}, false, false)
}

// selectDocs returns the live documents of collection matching q, sorted
// (with the _id tie break), and how many matched before skip and limit.
// The caller holds s.mu.
func (s *memoryStore) selectDocs(ctx context.Context, collection string, q *Query, maxResults int) (all, page []Doc, err error) {
	m := newMatcher(q.cond)
	search, hasSearch := q.Search()
	terms := searchTerms(search)
	docs := s.cols[collection]
	if id, ok := idEquality(q.cond); ok { // by _id: no scan
		docs = nil
		if d, found := s.cols[collection][id]; found {
			docs = map[ObjectID]Doc{id: d}
		}
	}
	n := 0
	for _, doc := range docs {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		if !live(doc) || !m.match(doc) || (hasSearch && !textMatch(doc, terms)) {
			continue
		}
		all = append(all, doc)
	}
	sortDocs(all, q.SortWithTieBreak())
	page = all
	if q.skip > 0 {
		page = page[min(q.skip, len(page)):]
	}
	limit := q.limit
	if maxResults > 0 && (limit == 0 || limit > maxResults) {
		limit = maxResults
	}
	if limit > 0 && len(page) > limit {
		page = page[:limit]
	}
	return all, page, nil
}

// idEquality finds an _id equality that every match must satisfy: the
// condition itself or a child of the top AND.
func idEquality(c Cond) (ObjectID, bool) {
	if c.Kind == CondAttr && c.Attr == "_id" && c.Op == "$eq" {
		id, ok := c.Value.(ObjectID)
		return id, ok
	}
	if c.Kind == CondAnd {
		for _, ch := range c.Children {
			if id, ok := idEquality(ch); ok {
				return id, true
			}
		}
	}
	return ObjectID{}, false
}

func (s *memoryStore) Read(ctx context.Context, collection string, q *Query) (ReadResult, error) {
	if err := ctx.Err(); err != nil {
		return ReadResult{}, err
	}
	if err := checkSupported(q); err != nil {
		return ReadResult{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ReadResult{}, ErrStoreClosed
	}
	all, page, err := s.selectDocs(ctx, collection, q, s.opts.MaxResults)
	if err != nil {
		return ReadResult{}, err
	}
	res := ReadResult{Total: len(all), Count: len(page), Docs: make([]Doc, 0, len(page))}
	if groups := q.Groups(); len(groups) > 0 {
		res.Groups = make(map[string][]Bucket, len(groups))
		for _, g := range groups {
			vals := make([]any, len(all))
			for i, d := range all {
				vals[i] = GroupValue(d, g.By)
			}
			slices.SortStableFunc(vals, CompareValues)
			bs := BucketAuto(vals, g.Count)
			for i := range bs {
				bs[i].Min, bs[i].Max = ExportValue(bs[i].Min), ExportValue(bs[i].Max)
			}
			if bs == nil {
				bs = []Bucket{}
			}
			res.Groups[g.By] = bs
		}
	}
	attrs := q.Attrs()
	for _, d := range page {
		if attrs != nil {
			d = project(d, attrs)
		}
		res.Docs = append(res.Docs, ExportValue(d).(Doc))
	}
	return res, nil
}

// checkSupported rejects what no store here implements.
func checkSupported(q *Query) error {
	if q == nil {
		return &QueryError{Msg: "nil query"}
	}
	if q.geoNear != nil {
		return &QueryError{Path: "$geo_near", Msg: "not supported by this store"}
	}
	return nil
}

// ExportValue deep-copies a stored value for a caller: ObjectIDs become
// their 24-hex strings.
func ExportValue(v any) any {
	switch x := v.(type) {
	case ObjectID:
		return x.Hex()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = ExportValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ExportValue(e)
		}
		return out
	}
	return v
}

func (s *memoryStore) Update(ctx context.Context, collection string, q *Query, update Doc) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkSupported(q); err != nil {
		return nil, err
	}
	ops, err := ParseUpdate(update)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	_, page, err := s.selectDocs(ctx, collection, q, 0)
	if err != nil {
		return nil, err
	}
	// Apply to copies first so that a failure leaves every document as it
	// was.
	updated := make([]Doc, len(page))
	for i, d := range page {
		c := deepCopy(d).(Doc)
		if err := ops.Apply(c); err != nil {
			return nil, fmt.Errorf("document %s: %w", d["_id"].(ObjectID).Hex(), err)
		}
		updated[i] = c
	}
	col := s.cols[collection]
	ids := make([]string, len(updated))
	for i, d := range updated {
		id := d["_id"].(ObjectID)
		col[id] = d
		ids[i] = id.Hex()
	}
	return ids, nil
}

func (s *memoryStore) Delete(ctx context.Context, collection string, q *Query, soft bool) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkSupported(q); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrStoreClosed
	}
	_, page, err := s.selectDocs(ctx, collection, q, 0)
	if err != nil {
		return nil, err
	}
	col := s.cols[collection]
	ids := make([]string, len(page))
	for i, d := range page {
		id := d["_id"].(ObjectID)
		if soft {
			c := deepCopy(d).(Doc)
			c["__deleted"] = true
			col[id] = c
		} else {
			delete(col, id)
		}
		ids[i] = id.Hex()
	}
	return ids, nil
}

func (s *memoryStore) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.cols = nil
	return nil
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// searchTerms splits a $search string into lower-case words.
func searchTerms(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// textMatch is the memory store's $search: a document matches when one of
// the terms is a word of one of its string values (case-insensitive). It
// stands in for MongoDB's $text (no stemming, stop words or phrases).
func textMatch(doc Doc, terms []string) bool {
	if len(terms) == 0 {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			for _, w := range searchTerms(x) {
				if slices.Contains(terms, w) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if k != "_id" && walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(doc)
}
