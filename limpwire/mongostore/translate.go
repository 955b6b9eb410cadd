package mongostore

import (
	"slices"
	"time"

	"github.com/appwire/appwire/limpwire"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Filter translates a compiled condition to a MongoDB filter, as upstream's
// _compile_query does: an AND list is $and, an OR list $or, $bet is already
// $gte and $lte, $regex is case-insensitive, ids are ObjectIds.
func Filter(c limpwire.Cond) bson.D {
	switch c.Kind {
	case limpwire.CondAnd, limpwire.CondOr:
		if c.Kind == limpwire.CondAnd && len(c.Children) == 0 {
			return bson.D{}
		}
		op := "$and"
		if c.Kind == limpwire.CondOr {
			op = "$or"
		}
		l := make(bson.A, len(c.Children))
		for i, ch := range c.Children {
			l[i] = Filter(ch)
		}
		return bson.D{{Key: op, Value: l}}
	}
	if c.Op == "$regex" {
		return bson.D{{Key: c.Attr, Value: bson.D{
			{Key: "$regex", Value: c.Value}, {Key: "$options", Value: "i"},
		}}}
	}
	return bson.D{{Key: c.Attr, Value: bson.D{{Key: c.Op, Value: ToBSON(c.Value)}}}}
}

// UpdateDoc translates a compiled update: $set, $inc ($add), $mul
// ($multiply), $push or $addToSet ($append, with $unique), $pullAll
// ($remove).
func UpdateDoc(u *limpwire.Update) bson.D {
	groups := map[string]bson.D{}
	for _, op := range u.Ops() {
		var mop string
		v := ToBSON(op.Value)
		switch op.Op {
		case "$set":
			mop = "$set"
		case "$add":
			mop = "$inc"
		case "$multiply":
			mop = "$mul"
		case "$append":
			mop = "$push"
			if op.Unique {
				mop = "$addToSet"
			}
		case "$remove":
			mop = "$pullAll"
		}
		groups[mop] = append(groups[mop], bson.E{Key: op.Attr, Value: v})
	}
	var out bson.D
	for _, k := range []string{"$set", "$inc", "$mul", "$push", "$addToSet", "$pullAll"} {
		if g, ok := groups[k]; ok {
			out = append(out, bson.E{Key: k, Value: g})
		}
	}
	return out
}

// ToBSON converts a normalised limpwire value for the driver: documents
// become bson.D with sorted keys (so that equality to an embedded document
// does not depend on Go's map order), ObjectIDs bson.ObjectID.
func ToBSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		d := make(bson.D, len(keys))
		for i, k := range keys {
			d[i] = bson.E{Key: k, Value: ToBSON(x[k])}
		}
		return d
	case []any:
		a := make(bson.A, len(x))
		for i, e := range x {
			a[i] = ToBSON(e)
		}
		return a
	case limpwire.ObjectID:
		return bson.ObjectID(x)
	case time.Time:
		return bson.NewDateTimeFromTime(x)
	}
	return v
}

// FromBSON converts a decoded value to limpwire's value model: documents
// to Doc, arrays to []any, int32 to int64, dates to time.Time (UTC),
// ObjectIds to their 24-hex strings.
func FromBSON(v any) any {
	switch x := v.(type) {
	case bson.D:
		m := make(limpwire.Doc, len(x))
		for _, e := range x {
			m[e.Key] = FromBSON(e.Value)
		}
		return m
	case bson.M:
		m := make(limpwire.Doc, len(x))
		for k, e := range x {
			m[k] = FromBSON(e)
		}
		return m
	case bson.A:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = FromBSON(e)
		}
		return l
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = FromBSON(e)
		}
		return l
	case int32:
		return int64(x)
	case bson.ObjectID:
		return x.Hex()
	case bson.DateTime:
		return x.Time().UTC()
	}
	return v
}
