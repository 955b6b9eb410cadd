package limpwire

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Module is a named set of methods, reached by the endpoint
// "<module>/<method>" (docs/protocols/limp.md section 5). Register it with
// Server.Register before serving.
type Module struct {
	// Name is the endpoint's first part, lower case.
	Name string

	// Package prefixes the module's error codes: package "CORE" and
	// module "user" give "CORE_USER_INVALID_QUERY". Empty means "APP".
	Package string

	// Methods maps a lower-case method name to its definition.
	Methods map[string]*Method
}

// codePrefix returns "{PKG}_{MODULE}_".
func (m *Module) codePrefix() string {
	pkg := m.Package
	if pkg == "" {
		pkg = "APP"
	}
	return strings.ToUpper(pkg + "_" + m.Name + "_")
}

// Method is one endpoint of a module.
type Method struct {
	// Permissions lists who may call the method: the first one the
	// caller holds applies. Empty means nobody (but the server itself).
	Permissions []Permission

	// QueryArgs and DocArgs, when not empty, require the call's query
	// (or doc) to match at least one of the sets; otherwise the call is
	// answered 400 {PKG}_{MODULE}_INVALID_QUERY (or _INVALID_DOC).
	QueryArgs []ArgSet
	DocArgs   []ArgSet

	// GetOnly marks a method served over HTTP GET only: a WebSocket call
	// is answered 400 CORE_REQ_GET_METHOD.
	GetOnly bool

	// Handle runs the method. It returns the reply's msg and args, or an
	// error: an *Error becomes that reply, any other error a 500
	// CORE_SERVER_ERROR. A result whose args hold "session" (an object
	// with "_id" and "token") switches the connection to that session,
	// as 6.0 does for auth, reauth and signout.
	Handle func(ctx context.Context, r *Request) (*Result, error)

	// Watch, when set instead of Handle, makes a watch method. Watch
	// calls started once it sees changes (the server then answers
	// "Created watch task."), and sends each change with send until ctx
	// ends (the connection closes or the client deletes the watch task).
	// An error returned before started is the call's reply; one returned
	// later ends the task with that error.
	Watch func(ctx context.Context, r *Request, started func(), send func(*Result) error) error
}

// Result is a successful (status 200) method result.
type Result struct {
	Msg  string
	Args map[string]any
}

// Permission grants a method to callers holding a privilege.
type Permission struct {
	// Privilege is "*" (everyone, anonymous callers included), "__AUTH"
	// (any authenticated user), or a privilege name that the user must
	// hold for this module (or "*" for this module, or "*" for "*").
	Privilege string

	// QueryMod and DocMod are merged into the call's query (as an extra
	// AND step) and doc when this permission applies. The string value
	// "$__user" stands for the caller's user id.
	QueryMod map[string]any
	DocMod   map[string]any
}

// ArgType is the type of one attribute in an ArgSet.
type ArgType string

// Types an ArgSet checks.
const (
	TypeAny    ArgType = "any"
	TypeString ArgType = "str"
	TypeInt    ArgType = "int"
	TypeFloat  ArgType = "float"
	TypeBool   ArgType = "bool"
	TypeID     ArgType = "id"    // a 24-hex string
	TypeIDList ArgType = "[id]"  // a list of 24-hex strings
	TypeList   ArgType = "list"  // any JSON array
	TypeObject ArgType = "dict"  // any JSON object
	TypeEmail  ArgType = "email" // a string with one "@" and a dot after it
	TypePhone  ArgType = "phone" // "+" and 8 to 15 digits
)

// ArgSet maps required attributes to their types.
type ArgSet map[string]ArgType

var (
	hex24   = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRe = regexp.MustCompile(`^\+[0-9]{8,15}$`)
)

func (t ArgType) check(v any) bool {
	switch t {
	case TypeAny:
		return true
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeInt:
		f, ok := v.(float64)
		if !ok {
			_, ok = v.(int64)
			return ok
		}
		return f == float64(int64(f))
	case TypeFloat:
		switch v.(type) {
		case float64, int64:
			return true
		}
		return false
	case TypeBool:
		_, ok := v.(bool)
		return ok
	case TypeID:
		s, ok := v.(string)
		return ok && hex24.MatchString(s)
	case TypeIDList:
		l, ok := v.([]any)
		if !ok {
			return false
		}
		for _, e := range l {
			if !TypeID.check(e) {
				return false
			}
		}
		return true
	case TypeList:
		_, ok := v.([]any)
		return ok
	case TypeObject:
		_, ok := v.(map[string]any)
		return ok
	case TypeEmail:
		s, ok := v.(string)
		return ok && emailRe.MatchString(s)
	case TypePhone:
		s, ok := v.(string)
		return ok && phoneRe.MatchString(s)
	}
	return false
}

// matchArgs checks vals against the sets; it returns "" when one set
// matches, else the description of the failed sets for the 400 message.
func matchArgs(sets []ArgSet, get func(attr string) (any, bool)) (failed string, ok bool) {
	if len(sets) == 0 {
		return "", true
	}
	var parts []string
	for i, set := range sets {
		var bad []string
		for _, attr := range slices.Sorted(maps.Keys(set)) {
			v, has := get(attr)
			switch {
			case !has:
				bad = append(bad, fmt.Sprintf("'%s': 'missing'", attr))
			case !set[attr].check(v):
				bad = append(bad, fmt.Sprintf("'%s': 'invalid type, expected %s'", attr, set[attr]))
			}
		}
		if len(bad) == 0 {
			return "", true
		}
		parts = append(parts, fmt.Sprintf(" Set_%d:{%s}", i, strings.Join(bad, ", ")))
	}
	return strings.Join(parts, ","), false
}

// queryAttr finds attr in a raw query as 6.0's Query does for
// query_args: the value of the first top-level dict step holding it.
func queryAttr(q []any) func(string) (any, bool) {
	return func(attr string) (any, bool) {
		for _, step := range q {
			if m, ok := step.(map[string]any); ok {
				if v, ok := m[attr]; ok {
					return v, true
				}
			}
		}
		return nil, false
	}
}

// Request is one call as a method sees it.
type Request struct {
	Server   *Server
	Module   *Module
	Method   string   // lower case
	Call     *Call    // as decoded from the token
	RawQuery []any    // after the permission's QueryMod
	Query    *Query   // RawQuery compiled
	Doc      Doc      // after the permission's DocMod and upload assembly
	Session  *Session // the connection's session when the call arrived
	IP       string   // the client's address, without port
	UA       string   // the User-Agent of the WebSocket handshake
}

// privileges returns the caller's privileges.
func (r *Request) privileges() map[string][]string {
	if r.Session.Anon() {
		return r.Server.opts.AnonPrivileges
	}
	return privilegesOf(r.Session.User)
}

func privilegesOf(u Doc) map[string][]string {
	out := map[string][]string{}
	raw, _ := u["privileges"].(map[string]any)
	for mod, l := range raw {
		list, _ := l.([]any)
		for _, p := range list {
			if s, ok := p.(string); ok {
				out[mod] = append(out[mod], s)
			}
		}
	}
	return out
}

// permit returns the permission of m the request holds.
func (r *Request) permit(m *Method) (*Permission, bool) {
	priv := r.privileges()
	for i := range m.Permissions {
		p := &m.Permissions[i]
		switch {
		case p.Privilege == "*":
			return p, true
		case p.Privilege == "__AUTH":
			if !r.Session.Anon() {
				return p, true
			}
		case slices.Contains(priv["*"], "*"), slices.Contains(priv[r.Module.Name], "*"),
			slices.Contains(priv[r.Module.Name], p.Privilege):
			return p, true
		}
	}
	return nil, false
}

// IsAdmin reports whether the caller holds every privilege ("*": ["*"]).
func (r *Request) IsAdmin() bool { return slices.Contains(r.privileges()["*"], "*") }

// substUser replaces the string "$__user" in v by the caller's user id.
func substUser(v any, user string) any {
	switch v := v.(type) {
	case string:
		if v == "$__user" {
			return user
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = substUser(e, user)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = substUser(e, user)
		}
		return out
	}
	return v
}

// errorOf maps a method's error to a reply error.
func errorOf(err error) *Error {
	var le *Error
	if errors.As(err, &le) {
		return le
	}
	return ErrServer
}
