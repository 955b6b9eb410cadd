package limpwire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Doc is one stored document: JSON-shaped values (nil, bool, float64 or
// int64, string, []any, Doc). The identifier is under "_id" as a 24-hex
// string.
type Doc = map[string]any

// Bucket is one $group bucket, as MongoDB's $bucketAuto computes it: the
// documents whose grouped attribute lies in [Min, Max) (the last bucket
// includes Max), and how many there are.
type Bucket struct {
	Min   any `json:"min"`
	Max   any `json:"max"`
	Count int `json:"count"`
}

// ReadResult is what Store.Read returns. Total counts the matching
// documents before $skip and $limit; Count is len(Docs), after them.
// Groups holds one list of buckets per $group "by" attribute.
type ReadResult struct {
	Total, Count int
	Docs         []Doc
	Groups       map[string][]Bucket
}

// Store keeps the documents of a LIMP server, one named collection per
// module. Implementations are safe for concurrent use. Every method honours
// ctx.
type Store interface {
	// Read returns the documents matching q, sorted, skipped, limited and
	// projected as q says. Soft-deleted documents are never returned.
	Read(ctx context.Context, collection string, q *Query) (ReadResult, error)
	// Create stores doc and returns its id (doc's "_id" when it carries a
	// 24-hex one, a fresh one otherwise).
	Create(ctx context.Context, collection string, doc Doc) (id string, err error)
	// Update applies update to the documents Read would return for q
	// (sort, skip and limit included, as upstream reads then updates by
	// id) and returns their ids in that order. A plain value sets the
	// attribute; an operator object applies $add, $multiply,
	// $append (with $unique) or $remove.
	Update(ctx context.Context, collection string, q *Query, update Doc) (ids []string, err error)
	// Delete removes the documents Read would return for q and returns
	// their ids; soft
	// marks them "__deleted": true instead, so reads no longer see them.
	Delete(ctx context.Context, collection string, q *Query, soft bool) (ids []string, err error)
	// Close releases the store's resources.
	Close(ctx context.Context) error
}

// ErrStoreClosed is returned by a Store used after Close.
var ErrStoreClosed = errors.New("limpwire: store closed")

// ErrInvalidDoc is matched (errors.Is) by errors about a document or update
// that cannot be stored: an unsupported value type, a bad "_id", a bad
// update operator.
var ErrInvalidDoc = errors.New("limpwire: invalid document")

// maxValueDepth bounds the nesting of stored and queried values.
const maxValueDepth = 64

// NormalizeValue returns a deep copy of v in the value model both stores
// share: nil, bool, string, float64, int64 (every Go integer type, and
// integral json.Number), time.Time (UTC, millisecond precision, as MongoDB
// keeps it), ObjectID, []any and Doc. Other types, NaN, infinities and
// nesting deeper than 64 are an error.
func NormalizeValue(v any) (any, error) { return normalize(v, 0) }

func normalize(v any, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("value nested deeper than %d", maxValueDepth)
	}
	switch x := v.(type) {
	case nil, bool, string, int64, ObjectID:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("NaN and infinities are not storable")
		}
		return x, nil
	case float32:
		return normalize(float64(x), depth)
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, errors.New("integer out of int64 range")
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, errors.New("integer out of int64 range")
		}
		return int64(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("bad number %q", string(x))
		}
		return normalize(f, depth)
	case time.Time:
		return x.UTC().Truncate(time.Millisecond), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}
