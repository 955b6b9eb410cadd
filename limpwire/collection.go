package limpwire

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
)

// CollectionPermissions says who may call each method of a collection
// module; a nil list closes the method to everyone.
type CollectionPermissions struct {
	Read, Create, Update, Delete []Permission
}

// NewCollectionModule returns a module whose read, create, update,
// delete and watch methods work on the store collection of the same name
// with 6.0's replies (docs/protocols/limp.md section 4). Watch uses the
// Read permissions and sees the changes made through this server
// process. Package prefixes its error codes.
func (s *Server) NewCollectionModule(name, pkg string, perm CollectionPermissions) *Module {
	coll := name
	st := func() Store { return s.opts.Store }
	return &Module{Name: name, Package: pkg, Methods: map[string]*Method{
		"read": {Permissions: perm.Read, Handle: func(ctx context.Context, r *Request) (*Result, error) {
			res, err := st().Read(ctx, coll, r.Query)
			if err != nil {
				return nil, storeErr(r, err)
			}
			return readResult(res, coll), nil
		}},
		"create": {Permissions: perm.Create, Handle: func(ctx context.Context, r *Request) (*Result, error) {
			id, err := st().Create(ctx, coll, r.Doc)
			if err != nil {
				return nil, storeErr(r, err)
			}
			s.Publish(coll, Change{Oper: "create", IDs: []string{id}})
			return &Result{Msg: "Created 1 docs.", Args: map[string]any{"count": 1, "docs": []any{map[string]any{"_id": id}}}}, nil
		}},
		"update": {Permissions: perm.Update, Handle: func(ctx context.Context, r *Request) (*Result, error) {
			if len(r.Doc) == 0 {
				return &Result{Msg: "Nothing to update."}, nil
			}
			ids, err := st().Update(ctx, coll, r.Query, r.Doc)
			if err != nil {
				return nil, storeErr(r, err)
			}
			if len(ids) > 0 {
				s.Publish(coll, Change{Oper: "update", IDs: ids})
			}
			return &Result{Msg: "Updated " + strconv.Itoa(len(ids)) + " docs.", Args: idList(ids)}, nil
		}},
		"delete": {Permissions: perm.Delete, Handle: func(ctx context.Context, r *Request) (*Result, error) {
			soft := r.Query.Soft() != nil && r.Query.Soft() != false
			var before []Doc
			if s.watched(coll) {
				res, err := st().Read(ctx, coll, r.Query)
				if err != nil {
					return nil, storeErr(r, err)
				}
				before = res.Docs
			}
			ids, err := st().Delete(ctx, coll, r.Query, soft)
			if err != nil {
				return nil, storeErr(r, err)
			}
			if len(ids) > 0 {
				s.Publish(coll, Change{Oper: "delete", IDs: ids, Docs: before})
			}
			return &Result{Msg: "Deleted " + strconv.Itoa(len(ids)) + " docs.", Args: idList(ids)}, nil
		}},
		"watch": {Permissions: perm.Read, Watch: func(ctx context.Context, r *Request, started func(), send func(*Result) error) error {
			changes, overflow := s.Watch(ctx, coll)
			started()
			for {
				var ch Change
				select {
				case <-ctx.Done():
					return nil
				case <-overflow:
					return ErrServer.WithMsg("Watch task fell behind and was stopped.")
				case ch = <-changes:
				}
				docs := make([]any, 0, len(ch.IDs))
				if ch.Oper == "delete" {
					if ch.Docs == nil {
						for _, id := range ch.IDs {
							docs = append(docs, map[string]any{"_id": id})
						}
					}
					m := newMatcher(r.Query.Cond())
					for _, d := range ch.Docs {
						if m.match(d) {
							docs = append(docs, map[string]any{"_id": idString(d["_id"])})
						}
					}
				} else {
					ids := make([]any, len(ch.IDs))
					for i, id := range ch.IDs {
						ids[i] = id
					}
					q, err := ParseQuery(append(append([]any(nil), r.RawQuery...), map[string]any{"_id": map[string]any{"$in": ids}}))
					if err != nil {
						return err
					}
					res, err := st().Read(ctx, coll, q)
					if err != nil {
						return err
					}
					for _, d := range res.Docs {
						docs = append(docs, publicDoc(coll, d))
					}
				}
				for _, d := range docs {
					if err := send(&Result{Msg: "Detected 1 docs.", Args: map[string]any{"count": 1, "oper": ch.Oper, "docs": []any{d}}}); err != nil {
						return nil
					}
				}
			}
		}},
	}}
}

func storeErr(r *Request, err error) error {
	var qe *QueryError
	if errors.As(err, &qe) {
		return &Error{Status: 400, Code: r.Module.codePrefix() + "INVALID_QUERY", Msg: qe.Error()}
	}
	if errors.Is(err, ErrInvalidDoc) {
		return &Error{Status: 400, Code: r.Module.codePrefix() + "INVALID_ATTR", Msg: err.Error()}
	}
	return err
}

func idList(ids []string) map[string]any {
	docs := make([]any, len(ids))
	for i, id := range ids {
		docs[i] = map[string]any{"_id": id}
	}
	return map[string]any{"count": len(ids), "docs": docs}
}

// publicDoc hides user hashes from replies.
func publicDoc(coll string, d Doc) Doc {
	if coll == UserCollection {
		return publicUser(d)
	}
	return d
}

func readResult(res ReadResult, coll string) *Result {
	docs := make([]any, len(res.Docs))
	for i, d := range res.Docs {
		docs[i] = publicDoc(coll, d)
	}
	groups := map[string]any{}
	for by, bs := range res.Groups {
		l := make([]any, len(bs))
		for i, b := range bs {
			l[i] = map[string]any{"min": b.Min, "max": b.Max, "count": b.Count}
		}
		groups[by] = l
	}
	return &Result{Msg: "Found " + strconv.Itoa(res.Count) + " docs.", Args: map[string]any{
		"total": res.Total, "count": res.Count, "docs": docs, "groups": groups,
	}}
}

// userModule is the core "user" module: administrators ("*": ["*"], or
// the user module's "admin" privilege) do everything; an authenticated
// user reads and updates their own document.
func (s *Server) userModule() *Module {
	admin := Permission{Privilege: "admin"}
	self := Permission{Privilege: "__AUTH", QueryMod: map[string]any{"_id": "$__user"}}
	m := s.NewCollectionModule(UserCollection, "CORE", CollectionPermissions{
		Read:   []Permission{admin, self},
		Create: []Permission{admin},
		Update: []Permission{admin, self},
		Delete: []Permission{admin},
	})
	m.Methods["create"].DocArgs = []ArgSet{{"email": TypeEmail}, {"username": TypeString}, {"phone": TypePhone}}
	return m
}

// NewBlobModule returns a demonstration module for uploads: blob/create
// takes files uploaded under the doc attribute "files" (section 7) and
// stores, per file, its name, type, size and SHA-256, which blob/read
// returns. Anyone may call it.
func (s *Server) NewBlobModule() *Module {
	anyone := []Permission{{Privilege: "*"}}
	m := s.NewCollectionModule("blob", "APP", CollectionPermissions{Read: anyone, Create: anyone, Delete: anyone})
	m.Methods["create"] = &Method{Permissions: anyone, DocArgs: []ArgSet{{"files": TypeList}}, Handle: func(ctx context.Context, r *Request) (*Result, error) {
		var files []any
		for _, f := range asList(r.Doc["files"]) {
			fm, ok := f.(map[string]any)
			if !ok {
				continue
			}
			content, _ := fm["content"].([]byte)
			sum := sha256.Sum256(content)
			files = append(files, map[string]any{
				"name": fm["name"], "type": fm["type"], "size": int64(len(content)),
				"sha256": hex.EncodeToString(sum[:]),
			})
		}
		if files == nil {
			files = []any{}
		}
		doc := Doc{"files": files}
		if name, ok := r.Doc["name"].(string); ok {
			doc["name"] = name
		}
		id, err := s.opts.Store.Create(ctx, "blob", doc)
		if err != nil {
			return nil, storeErr(r, err)
		}
		s.Publish("blob", Change{Oper: "create", IDs: []string{id}})
		doc["_id"] = id
		return &Result{Msg: "Created 1 docs.", Args: map[string]any{"count": 1, "docs": []any{doc}}}, nil
	}}
	return m
}
